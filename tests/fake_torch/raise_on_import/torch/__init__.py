"""A torch whose import raises, as it does when a CUDA library it links against is missing."""

raise ImportError("libcudnn.so.9: cannot open shared object file: No such file or directory")
