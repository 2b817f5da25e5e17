"""arXiv: category taxonomy, id extraction, listing and metadata clients."""
