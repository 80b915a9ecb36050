"""Learning to forget (H&S 1997 Exp. 1, Gers et al. 2000): the forgetting chapter (``notebooks/forgetting.ipynb``)."""
