/* LPM01A bin_hexa sample words -> float32, in C (optional: the decoder has a numpy path that
 * gives the same bits; see lpm01a_binary.py and bin_hexa_compiled.py).
 *
 * decode(src, pos, stop, out, n) -> (pos, n, garbage_words)
 *
 * Reads the big-endian 16-bit words src[pos:stop] (whole words only) and writes their values
 * to the float32 buffer out from index n on. A word's high nibble is a negative base-16
 * exponent e, its low 12 bits the mantissa m: value = m * 16^-e, exact in float32. It stops
 * at the first word that starts a metadata frame (0xF0 followed by a frame type 0xF1..0xF7)
 * and returns that word's position; any other word with exponent 0xF is reserved, so it is
 * skipped and counted as garbage. Otherwise it returns the position after the last whole
 * word. The GIL is released while it runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define KERNEL_VERSION 1
#define BLOCK 32 /* words converted, then checked, per fast step */
#ifdef _MSC_VER
#define restrict __restrict
#endif

static inline float word_value(uint32_t word)
{
    /* 16^-e as float32 bits: biased exponent 127 - 4e (e <= 14: never subnormal) */
    uint32_t scale_bits = (127u - 4u * (word >> 12)) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return (float)(int32_t)(word & 0xFFFu) * scale;
}

static inline uint32_t word_at(const uint8_t *p)
{
    /* a 16-bit load and a swap, which compilers vectorise (byte-by-byte assembly they do not) */
    uint16_t raw;
    memcpy(&raw, p, sizeof raw);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return raw;
#else
    return (uint16_t)((raw >> 8) | (raw << 8));
#endif
}

static Py_ssize_t decode_words(const uint8_t *restrict src, Py_ssize_t pos, Py_ssize_t stop,
                               float *restrict out, Py_ssize_t *n_out, Py_ssize_t *garbage)
{
    Py_ssize_t n = *n_out;
    while (pos + 2 <= stop) {
        Py_ssize_t block_end = pos + 2 * BLOCK;
        if (block_end <= stop) {
            /* convert a whole block (out has room: see decode) and keep it if none of its
             * words is reserved (exponent 0xF) */
            const uint8_t *restrict p = src + pos;
            float *restrict o = out + n;
            uint32_t reserved = 0;
            for (int k = 0; k < BLOCK; k++) {
                uint32_t word = word_at(p + 2 * k);
                reserved |= ((word >> 12) + 1u) >> 4;
                o[k] = word_value(word);
            }
            if (!reserved) {
                n += BLOCK;
                pos = block_end;
                continue;
            }
        } else {
            block_end = stop;
        }
        for (; pos + 2 <= block_end; pos += 2) { /* word by word to the block's end */
            uint32_t word = word_at(src + pos);
            if (word < 0xF000u)
                out[n++] = word_value(word);
            else if (word >= 0xF0F1u && word <= 0xF0F7u)
                goto frame; /* a frame starts here */
            else
                (*garbage)++;
        }
    }
frame:
    *n_out = n;
    return pos;
}

static int is_native_float32(const Py_buffer *buffer)
{
    const char *format = buffer->format;
    if (buffer->itemsize != sizeof(float) || format == NULL)
        return 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const char native = '>';
#else
    const char native = '<';
#endif
    if (format[0] == '@' || format[0] == '=' || format[0] == native)
        format++;
    return strcmp(format, "f") == 0;
}

static const char *check(const Py_buffer *src, Py_ssize_t pos, Py_ssize_t stop,
                         const Py_buffer *out, Py_ssize_t n)
{
    if (pos < 0 || stop < pos || stop > src->len)
        return "decode: need 0 <= pos <= stop <= len(src)";
    if (!is_native_float32(out))
        return "decode: out must be a float32 array";
    if (((uintptr_t)out->buf) % sizeof(float) != 0)
        return "decode: out must be an aligned float32 buffer";
    Py_ssize_t room = out->len / (Py_ssize_t)sizeof(float);
    if (n < 0 || n > room || (stop - pos) / 2 > room - n)
        return "decode: out has no room for the words of src[pos:stop] after index n";
    return NULL;
}

static PyObject *decode(PyObject *self, PyObject *args)
{
    Py_buffer src, out;
    PyObject *out_object;
    Py_ssize_t pos, stop, n, garbage = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nnOn", &src, &pos, &stop, &out_object, &n))
        return NULL;
    if (PyObject_GetBuffer(out_object, &out, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS)
        < 0) {
        PyBuffer_Release(&src);
        return NULL;
    }
    const char *problem = check(&src, pos, stop, &out, n);
    if (problem == NULL) {
        Py_BEGIN_ALLOW_THREADS
        pos = decode_words((const uint8_t *)src.buf, pos, stop, (float *)out.buf, &n, &garbage);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&src);
    PyBuffer_Release(&out);
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        return NULL;
    }
    return Py_BuildValue("nnn", pos, n, garbage);
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS,
     "decode(src, pos, stop, out, n) -> (pos, n, garbage_words): bin_hexa words to float32 "
     "until a frame start."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_bin_hexa",
    .m_doc = "Compiled LPM01A bin_hexa word decoder.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__bin_hexa(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "KERNEL_VERSION", KERNEL_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
