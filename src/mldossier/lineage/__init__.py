"""The lineage graph: dataset -> job run -> model version -> deployment, and its questions.

``graph`` builds it (:func:`~mldossier.lineage.graph.build_graph` -> ``LineageGraph``); the
questions are functions of the graph: ``runs``, ``provenance``, ``impact``, ``skew``, ``views``;
``lookup`` finds what a user names in it; ``diagram`` draws it.
"""
