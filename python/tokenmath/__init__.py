"""tokenmath for Python: the same library as the `tokenmath` command, results as plain dicts and lists.

    import tokenmath
    ctx = tokenmath.Context()                      # the shipped data ($TOKENMATH_DATA or the source tree)
    ctx.models()                                   # list of dicts, as `tokenmath models --format json`
    ctx.perf(model="gpt-oss-120b", gpu="h200", min_tok_s_user=50)
    ctx.plan()                                     # the default plan; plan(scenario=dict|yaml-or-json text)
    ctx.simulate({"model": ..., "deployment": ..., "workload": ...})

Keys match the CLI's --format json output. Bad input raises ValueError with the CLI's one-line message.
"""
import json as _json

from . import _tokenmath

__all__ = ["Context"]


def _text(scenario):
    if scenario is None:
        return ""
    if isinstance(scenario, (dict, list)):
        return _json.dumps(scenario)
    return str(scenario)


class Context:
    """Loaded data (catalog, efficiency factors, prices, costs). Two contexts over different data coexist."""

    def __init__(self, data_dir=None):
        self._ctx = _tokenmath.Context(data_dir or "")

    def models(self):
        return _json.loads(self._ctx.models_json())

    def gpus(self):
        return _json.loads(self._ctx.gpus_json())

    def systems(self):
        return _json.loads(self._ctx.systems_json())

    def model(self, id_or_path):
        return _json.loads(self._ctx.model_json(id_or_path))

    def perf(self, model, gpu, **options):
        """Options as the CLI's perf flags with underscores: tp, pp, ep, dp_attn, precision, kv_dtype, isl, osl,
        max_num_seqs, max_batched_tokens, kv_mem_fraction, top, min_tok_s_user, engine, spec."""
        # Checked in C++ against the one declaration of the options (ctx.schema("perf")), as the HTTP body is.
        return _json.loads(self._ctx.perf_options_json(_json.dumps(dict(options, model=model, gpu=gpu))))

    def plan(self, scenario=None):
        """scenario: None (the default plan), a dict, or YAML/JSON text overlaying the default."""
        return _json.loads(self._ctx.plan_json(_text(scenario)))

    def simulate(self, scenario, requests=None, seed=None):
        """scenario: a dict or YAML/JSON text (a simulation scenario)."""
        return _json.loads(self._ctx.simulate_json(_text(scenario), requests or 0, -1 if seed is None else seed))

    def schema(self, name):
        return _json.loads(self._ctx.schema_json(name))
