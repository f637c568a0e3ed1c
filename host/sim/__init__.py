"""The simulated bench, a backend chosen by ``sim://`` URLs and ``sim:KIND`` monitors."""
