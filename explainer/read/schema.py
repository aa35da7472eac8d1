"""Stage 1, load (the format, as a JSON Schema): what a scenario file may hold, for editors and
for anyone who writes scenarios by program. Built from the readers' own tables (activations,
losses, bias modes, update orders, …), so that a choice added to a table is in the schema too;
`explainer schema` prints it and templates/scenario.schema.json ships it (a test keeps the file
equal to this, and every shipped and test scenario valid against it). The schema says what
TOML can say about a file's shape; the reader checks the rest (lengths that must match, names
defined once, a grid's `to` above its `from`) and names the key when it refuses.
"""

from __future__ import annotations

import json
from typing import Any

from explainer.read import (
    batching_spec,
    graph_scenario,
    handout_spec,
    init_spec,
    optimizer_spec,
    scenario,
)
from explainer.rules.activations import ACTIVATIONS, LOSSES, RESIDUALS
from explainer.rules.batching import SHUFFLES
from explainer.rules.operations import FUNCTIONS
from explainer.rules.optimizers import OPTIMIZERS

Schema = dict[str, Any]

NUMBER: Schema = {"type": "number"}
POSITIVE: Schema = {"type": "number", "exclusiveMinimum": 0}
TEXT: Schema = {"type": "string"}
FLAG: Schema = {"type": "boolean"}
COUNT: Schema = {"type": "integer", "minimum": 0}


def _one_of(choices: tuple[str, ...] | list[str]) -> Schema:
    return {"enum": list(choices)}


# [training]'s optimizer and its settings, a network's and a graph's (read/optimizer_spec.py)
OPTIMIZER: Schema = {
    "optimizer": _one_of(list(OPTIMIZERS)),
    **{k: NUMBER if k in optimizer_spec.RANGES else FLAG for k in optimizer_spec.SETTINGS},
}


# how a training set's epochs are cut, a network's and a graph's (read/batching_spec.py)
BATCHING: Schema = {
    "batch_size": {"type": "integer", "minimum": 1},
    "shuffle": _one_of(list(SHUFFLES)),
    "shuffle_seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
    "reduction": _one_of(batching_spec.REDUCTIONS),
}


def _list(items: Schema, min_items: int = 0) -> Schema:
    return {"type": "array", "items": items, "minItems": min_items}


def _table(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    out: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def _any_keys(values: Schema) -> Schema:
    """A table whose keys are the author's names (leaves, nodes, claims, symbols)."""
    return {"type": "object", "additionalProperties": values}


PROSE = {"title": TEXT, "source": TEXT, "description": TEXT}
NARRATIVE = _table({k: TEXT for k in scenario.SECTIONS})
SYMBOLS = _any_keys(TEXT)  # a key's LaTeX
GRID: Schema = {
    "oneOf": [
        _list(NUMBER, 1),
        _table({"from": NUMBER, "to": NUMBER, "step": POSITIVE}, ("from", "to", "step")),
    ]
}
CONSTRAINTS = _table(
    {
        "saturation": {"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 1},
        "min_gradient": POSITIVE,
        "decimals": {"type": "integer", "minimum": 0, "maximum": 10},
        "draws": {"type": "integer", "minimum": 1, "maximum": 10_000},
    }
)


def _handout(vary: Schema) -> Schema:
    return _table(
        {
            "blank": _list(TEXT),
            "points": _any_keys(POSITIVE),
            "arithmetic": TEXT,
            "vary": vary,
            "constraints": CONSTRAINTS,
        }
    )


PRINTED: Schema = {"oneOf": [TEXT, _list(TEXT, 1)]}  # a claim: the number as printed, in quotes
CLAIM: Schema = {
    "oneOf": [
        TEXT,
        _list(TEXT, 1),
        _table(
            {
                "value": PRINTED,
                "note": TEXT,
                "source": TEXT,
                "work": TEXT,
                "operands": _any_keys(
                    {"oneOf": [TEXT, _table({"key": TEXT, "value": TEXT}, ("key", "value"))]}
                ),
            },
            ("value",),
        ),
    ]
}
CLAIMS = _any_keys(CLAIM)
DATA_ROWS = _list(_list(NUMBER, 1), 1)


def _layer() -> Schema:
    parameters = {a.parameter.key: NUMBER for a in ACTIVATIONS.values() if a.parameter}
    properties = {
        "neurons": _list(TEXT, 1),
        "activation": _one_of(list(ACTIVATIONS)),
        "weights": _list(_list(NUMBER, 1), 1),
        "weight_names": _list(_list(TEXT, 1), 1),
        "bias": _one_of(scenario.BIAS_MODES),
        "biases": _list(NUMBER),
        "bias_names": _list(TEXT),
        "bias_input": {"enum": [1, -1]},
        "train_weights": FLAG,
        "train_biases": FLAG,
        **parameters,
    }
    return _table(properties, ("neurons", "activation"))  # weights: given, or [init] draws them


def _network_form() -> Schema:
    examples = _table({"inputs": DATA_ROWS, "targets": DATA_ROWS, "csv": TEXT})
    properties = {
        **PROSE,
        "network": _table({"inputs": _list(TEXT, 1), "layers": _list(_layer(), 1)}, ("inputs",)),
        "example": _table(
            {
                "inputs": _list(NUMBER, 1),
                "targets": _list(NUMBER, 1),
                "fixed": _any_keys(NUMBER),  # hand-set outputs by their keys
                "fixed_on_page": FLAG,
            }
        ),
        "loss": _table({"function": _one_of([*LOSSES, "none"]), "residual": _one_of(RESIDUALS)}),
        "training": _table(
            {
                "learning_rate": POSITIVE,
                "steps": COUNT,
                "update": _one_of(scenario.UPDATE_ORDERS),
                "until_loss": POSITIVE,
                "mode": _one_of(scenario.MODES),
                **OPTIMIZER,
                **BATCHING,
            }
        ),
        "display": _table(
            {
                "digits": {"type": "integer", "minimum": 1, "maximum": 15},
                "table_steps": {"type": "integer", "minimum": 1, "maximum": 1000},
                "error_split": FLAG,
                "highlight": TEXT,
                "replaced": _one_of(scenario.REPLACEABLE),
                "arithmetic": TEXT,  # as --arithmetic takes it: float64, float32, paper:4, …
            }
        ),
        "notation": _table(
            {
                "profile": _one_of(scenario.PROFILES),
                "delta_sign": _one_of(scenario.DELTA_SIGNS),
                "rate_symbol": TEXT,
            }
        ),
        "names": _table({k: TEXT for k in ("net", "out", "target", "loss", "loss_term")}),
        "symbols": SYMBOLS,
        "narrative": NARRATIVE,
        "data": examples,
        "forecast": examples,
        "claims": CLAIMS,
        "handout": _handout(_table({k: GRID for k in handout_spec.VARIED})),
        "init": _table(
            {
                "generator": _one_of(list(init_spec.GENERATORS)),
                "seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
                "draw": _one_of(
                    sorted({d for g in init_spec.GENERATORS.values() for d in g.draws})
                ),
                "order": _one_of(list(init_spec.ORDERS)),
                "scale": NUMBER,
                "shift": NUMBER,
                "low": NUMBER,
                "high": NUMBER,
                "biases": _one_of(init_spec.BIASES),
            },
            ("generator", "seed"),
        ),
    }
    return _table(properties, ("network",))


def _graph_form() -> Schema:
    properties = {
        **PROSE,
        "graph": _table(
            {
                "leaves": _any_keys(NUMBER),
                "nodes": _any_keys(TEXT),  # an expression in the graph grammar
                "output": TEXT,
                "gates": _one_of(graph_scenario.GROUPINGS),
            },
            ("leaves", "nodes"),
        ),
        "training": _table(
            {
                "train": _list(TEXT, 1),
                "learning_rate": NUMBER,
                "steps": COUNT,
                "until_loss": POSITIVE,
                "update": _one_of(graph_scenario.UPDATE_ORDERS),
                "mode": _one_of(graph_scenario.MODES),
                **BATCHING,
                **OPTIMIZER,
            }
        ),
        "data": _table({"leaves": _list(TEXT, 1), "rows": DATA_ROWS, "csv": TEXT}),
        "handout": _handout(_any_keys(GRID)),  # a leaf's name → its grid
        "display": _table(
            {
                "digits": {"type": "integer", "minimum": 1, "maximum": 15},
                "table_steps": {"type": "integer", "minimum": 1, "maximum": 1000},
            }
        ),
        "symbols": SYMBOLS,
        "narrative": NARRATIVE,
        "claims": CLAIMS,
        # leaves' names; the Jacobian's rows are nodes' names
        "derivatives": _table(
            {"tangent": TEXT, "hessian": _list(TEXT, 1), "jacobian": _list(TEXT, 1)}
        ),
    }
    return _table(properties, ("graph",))


def schema() -> Schema:
    """The JSON Schema (draft 2020-12) of a scenario file: a network or a graph."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "explainer scenario",
        "description": "A scenario file of explainer, as TOML parses it: a layered network "
        "([network]) or a computational graph ([graph]). A graph's node calls "
        + ", ".join(FUNCTIONS)
        + " besides + - * / **.",
        "oneOf": [{"$ref": "#/$defs/network"}, {"$ref": "#/$defs/graph"}],
        "$defs": {"network": _network_form(), "graph": _graph_form()},
    }


def text() -> str:
    """The schema as the shipped file holds it: two-space indents, a newline at the end."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
