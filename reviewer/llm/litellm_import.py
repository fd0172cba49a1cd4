"""Import litellm the one safe way: with its bundled price map (it otherwise
fetches one over the network at import), without its "Give Feedback" banners on
stdout, and with library loggers kept off the user's terminal (our own call log
records every failure)."""

from __future__ import annotations

import logging
import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_LOG", "CRITICAL")

import litellm

litellm.suppress_debug_info = True
litellm.telemetry = False
litellm.drop_params = True
for _name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "instructor", "httpx"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

__all__ = ["litellm"]
