"""Treasury: profit distributions and holders' claims (read model of the Treasury contract)."""
