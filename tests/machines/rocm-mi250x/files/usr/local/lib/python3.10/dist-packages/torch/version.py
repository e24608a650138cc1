
__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']
__version__ = '2.5.1+rocm6.2'
debug = False
cuda: str | None = None
git_version = 'a8d6afb511a69687bbb2b7e88a3cf67917e1697e'
hip: str | None = '6.2.41133-dd7f95766'
