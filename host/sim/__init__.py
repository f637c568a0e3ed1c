"""The simulated bench: a DUT, an IO manager and (later) monitors on one virtual clock."""
