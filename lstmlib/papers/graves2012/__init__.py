"""Graves (2012), ch. 4, and the results it builds on: the book's Foundations part, one sub-package per
chapter, each laid out like a paper package (``protocols``, ``jobs``, ``chapter``, ``figures`` as it needs):

* ``vanishing``: the vanishing gradient (``notebooks/vanishing_gradient.ipynb``);
* ``equations``: the forward and backward equations beside the reference code (``notebooks/equations.ipynb``);
* ``gradients``: computing the gradient (``notebooks/gradients.ipynb``).
"""
from . import equations, gradients, vanishing
