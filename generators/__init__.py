"""One module per generated artifact: pure functions from the SLO model to documents."""
