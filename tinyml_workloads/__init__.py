"""The MLPerf Tiny workloads as data: inputs, datasets, reference models and scoring."""

from tinyjoule.tinyml_workloads.datasets import Dataset, DatasetFile, open_dataset
from tinyjoule.tinyml_workloads.metrics import (
    ad_file_score,
    auc_from_vectors,
    normalise,
    roc_auc,
    top1_percent,
)
from tinyjoule.tinyml_workloads.model_info import ModelInfo, OpInfo, format_table, read_model_info
from tinyjoule.tinyml_workloads.reference import ReferenceModel
from tinyjoule.tinyml_workloads.synthetic import generate_dataset
from tinyjoule.tinyml_workloads.workloads import WORKLOADS, Workload, get_workload

__all__ = [
    "WORKLOADS",
    "Dataset",
    "DatasetFile",
    "ModelInfo",
    "OpInfo",
    "ReferenceModel",
    "Workload",
    "ad_file_score",
    "auc_from_vectors",
    "format_table",
    "generate_dataset",
    "get_workload",
    "normalise",
    "open_dataset",
    "read_model_info",
    "roc_auc",
    "top1_percent",
]
