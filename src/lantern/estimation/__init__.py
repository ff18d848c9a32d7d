"""Multiple systems estimation (MSE) of hidden populations from overlapping agency lists.

Poisson log-linear models on capture histories (2 to 10 lists), with the extended maximum
likelihood treatment of lists that share nobody, the Fienberg-Rinaldo existence check, model choice
by the stepwise method of Chan, Silverman & Vincent (2021), by BIC/AIC over hierarchical models
(Silverman, Chan & Vincent 2024), a fixed model or main effects, Bayesian thresholding (Silverman
2020), latent classes (LCMCR), Bayesian model averaging over decomposable graphs (Madigan & York
1997, dga), and log-normal, profile-likelihood, BCa-bootstrap and posterior intervals.

Start with :class:`MSE` and :func:`read_table`; see ``docs/estimation.md``.
"""

from lantern.estimation.estimator import MSE, CandidateModel, EstimationResult, ModelTerms, estimate
from lantern.estimation.models import model_string, parse_model
from lantern.estimation.table import CaptureTable, as_table, read_table, table_from_frame

__all__ = [
    "MSE",
    "CandidateModel",
    "CaptureTable",
    "EstimationResult",
    "ModelTerms",
    "as_table",
    "estimate",
    "model_string",
    "parse_model",
    "read_table",
    "table_from_frame",
]
