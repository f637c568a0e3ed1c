"""The link to the DUT: lines on a serial port, direct or through an IO manager, and the
MLPerf Tiny steps on top."""
