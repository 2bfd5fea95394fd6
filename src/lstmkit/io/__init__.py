"""Files: the model folder (safetensors + JSON) and atomic writes."""

from lstmkit.io.atomic import atomic_output, atomic_write_bytes, atomic_write_text, staged_folder
from lstmkit.io.model_dir import FORMAT_VERSION, load_model_dir, save_model_dir

__all__ = [
    "FORMAT_VERSION",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_model_dir",
    "save_model_dir",
    "staged_folder",
]
