"""Clara: streaming LoRA training data (JSONL) from PostgreSQL.

The seed's API over the clara extension's SQL functions:

    from clara import DatasetSearchAPI, DatasetSearchQuery

    api = DatasetSearchAPI(dsn="dbname=corpus")
    query = DatasetSearchQuery(query_text="Verwaltungsrecht Photovoltaik", top_k=5000, min_quality_score=0.6)
    count = await api.stream_to_jsonl(query=query, output_path="data/training.jsonl", batch_size=100)
    async for doc in api.stream_datasets(query, batch_size=100):
        ...
    result = api.export_dataset_sync(query, "data/set", training=TrainingOptions(split="validation=0.02"),
                                     compression="zstd")  # runs clara-stream --output-dir

See docs/python.md.
"""

from ._dataset import (ClaraStreamConnectionError, ClaraStreamError, ClaraStreamInterrupted, ClaraStreamIOError,
                       ClaraStreamServerError, ClaraStreamUsageError, DatasetExport, ResumeRefused)
from .api import ClaraError, DatasetSearchAPI
from .models import DatasetDocument, DatasetSearchQuery, ExactNumber, TrainingOptions, training_line

__all__ = [
    "ClaraError",
    "ClaraStreamConnectionError",
    "ClaraStreamError",
    "ClaraStreamIOError",
    "ClaraStreamInterrupted",
    "ClaraStreamServerError",
    "ClaraStreamUsageError",
    "DatasetExport",
    "DatasetDocument",
    "DatasetSearchAPI",
    "DatasetSearchQuery",
    "ExactNumber",
    "ResumeRefused",
    "TrainingOptions",
    "training_line",
]
__version__ = "0.5.0"  # clara.control's default_version (tests/integration/client_habits.sh checks)
