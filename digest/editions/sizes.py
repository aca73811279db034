"""How many papers each reader of a batch would get, without building their items: the
matcher's count, or for readers with learning on, the size of their mixed digest. What a dry
run prints, at the matcher's speed."""

from datetime import date

import numpy as np

from digest.editions.build import EditionBatch
from digest.learn.digests import items_with_learning
from digest.learn.reader_models import learning_readers
from subscriptions.models import Subscriber


def digest_sizes(batch: EditionBatch, *, edition: date) -> np.ndarray:
    """Papers per reader, row by row."""
    keys = batch.matches.readers.keys
    sizes = batch.matches.counts.copy()
    if not len(keys):
        return sizes
    # The batch's readers are in id order: its id range finds its learners in one query.
    in_range = Subscriber.objects.filter(pk__range=(int(keys[0]), int(keys[-1])))
    learners = list(learning_readers(in_range).values_list("pk", flat=True))
    rows = np.flatnonzero(np.isin(keys, learners))
    if len(rows):
        chosen = items_with_learning(batch.matches.take(rows), edition=edition)
        sizes[rows] = [len(chosen[key]) for key in keys[rows].tolist()]
    return sizes
