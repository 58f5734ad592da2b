"""KYC provider adapters: ``manual`` (staff review only, the default) and ``sumsub``."""
