"""Bootstrap defaults, in a module of their own: a run's input key hashes them without loading numpy."""

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 12345  # sacrebleu's default SACREBLEU_SEED
DEFAULT_LEVEL = 0.95
MIN_DOCUMENTS = 10
