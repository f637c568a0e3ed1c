"""Energy monitors behind one interface; drivers are found through ``registry``."""
