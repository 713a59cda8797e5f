"""The rule builder's form: a rule tree written as flat form fields and read back.

A node's fields are named by its place in the tree: `g-1-match` is the root group,
`c-1.2-field`, `c-1.2-operator`, `c-1.2-value`, `c-1.2-days` the second child's condition.
The builder posts the whole form on every change (HTMX) and gets the tree re-rendered, so
adding, removing and re-typing conditions needs no JavaScript of our own.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import QueryDict

from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.customers.choices import Channel, ConsentPurpose
from peyvand.marketing.rules import (
    LIST_VALUE,
    NO_VALUE,
    OPERATOR_LABELS,
    PARAM_LABELS,
    FieldSpec,
    all_fields,
)
from peyvand.personalization.choices import Outcome
from peyvand.tracking.choices import EventType

_NAME = re.compile(r"^([gc])-(1(?:\.\d{1,3}){0,6})-([a-z_]+)$")
DEFAULT_CONDITION = {"field": "profile.preferred_language", "operator": "eq", "value": "fa"}


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in enum.choices]


PARAM_CHOICES = {
    "purpose": lambda: _choices(ConsentPurpose),
    "direction": lambda: _choices(Direction),
    "event_type": lambda: _choices(EventType),
    "outcome": lambda: _choices(Outcome),
}


def _sort_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split("."))


def tree_from_form(data: QueryDict) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {}
    conditions: dict[str, dict[str, Any]] = {}
    for name in data:
        found = _NAME.match(name)
        if not found:
            continue
        kind, path, attr = found.groups()
        if kind == "g":
            groups.setdefault(path, {"match": "all", "children": []})[attr] = data.get(name)
            continue
        node = conditions.setdefault(path, {})
        if attr == "value":
            values = [v for v in data.getlist(name) if v != ""]
            node["value"] = values if len(values) != 1 else values[0]
        elif attr in ("step_type", "step_name"):
            node[attr] = data.getlist(name)
        else:
            node[attr] = data.get(name)
    groups.setdefault("1", {"match": "all", "children": []})
    nodes: dict[str, dict[str, Any]] = {**groups}
    for path, node in conditions.items():
        types, steps_names = node.pop("step_type", None), node.pop("step_name", [])
        if types is not None:
            node["steps"] = [
                {"event_type": t, "event_name": n}
                for t, n in zip(types, [*steps_names, *[""] * len(types)], strict=False)
            ]
        nodes[path] = node
    for path in sorted(nodes, key=_sort_key):
        if path == "1":
            continue
        parent = nodes.get(path.rsplit(".", 1)[0])
        if parent is not None and "children" in parent:
            parent["children"].append(nodes[path])
    return {"match": groups["1"].get("match", "all"), "children": groups["1"]["children"]}


def apply_action(tree: dict[str, Any], action: str) -> dict[str, Any]:
    """`add-condition:1.2`, `add-group:1`, `remove:1.2.1`: the builder's buttons."""
    verb, _sep, path = action.partition(":")
    if not re.fullmatch(r"1(\.\d{1,3}){0,6}", path):
        return tree
    indices = [int(p) - 1 for p in path.split(".")[1:]]
    if verb == "remove" and indices:
        parent = _node_at(tree, indices[:-1])
        if parent is not None and 0 <= indices[-1] < len(parent.get("children", [])):
            del parent["children"][indices[-1]]
        return tree
    target = _node_at(tree, indices)
    if target is None or "children" not in target:
        return tree
    if verb == "add-condition":
        target["children"].append(dict(DEFAULT_CONDITION))
    elif verb == "add-group":
        target["children"].append({"match": "any", "children": [dict(DEFAULT_CONDITION)]})
    return tree


def _node_at(tree: dict[str, Any], indices: list[int]) -> dict[str, Any] | None:
    node: dict[str, Any] | None = tree
    for index in indices:
        children = node.get("children", []) if node else []
        if not 0 <= index < len(children):
            return None
        node = children[index]
    return node


def _param_widget(spec: FieldSpec, param: str, value: Any) -> dict[str, Any]:
    widget: dict[str, Any] = {
        "name": param,
        "label": PARAM_LABELS[param],
        "value": "" if value is None else value,
    }
    if param == "channel":
        widget["choices"] = _choices(Channel if spec.type == "consent" else InteractionChannel)
    elif param in PARAM_CHOICES:
        widget["choices"] = PARAM_CHOICES[param]()
    widget["input"] = "number" if param in ("days", "product", "offer") else "text"
    widget["optional"] = param not in spec.required
    return widget


def view_model(tree: dict[str, Any]) -> dict[str, Any]:
    """The tree decorated for the templates: each condition with its field's operators,
    value widget and parameters; unknown fields fall back to the first field."""
    fields = all_fields()
    by_key = {spec.key: spec for spec in fields}
    groups: dict[str, list[dict[str, str]]] = {}
    for spec in fields:
        groups.setdefault(str(spec.group), []).append({"key": spec.key, "label": str(spec.label)})
    field_groups = list(groups.items())

    def walk(node: dict[str, Any], path: str) -> dict[str, Any]:
        if "children" in node:
            return {
                "is_group": True,
                "path": path,
                "match": node.get("match", "all"),
                "children": [
                    walk(child, f"{path}.{i + 1}") for i, child in enumerate(node["children"])
                ],
            }
        spec = by_key.get(str(node.get("field"))) or fields[0]
        operator = (
            node.get("operator") if node.get("operator") in spec.operators else spec.operators[0]
        )
        value = node.get("value")
        values = (
            [str(v) for v in value]
            if isinstance(value, list)
            else ([] if value is None else [str(value)])
        )
        if operator in NO_VALUE:
            widget = "none"
        elif spec.type == "choice":
            widget = "multi" if operator in LIST_VALUE else "select"
        elif spec.type == "date" and operator in ("before", "after"):
            widget = "date"
        elif spec.type in ("number", "count", "amount", "date"):
            widget = "number"
        else:
            widget = "text"
        steps = node.get("steps") or [
            {"event_type": "product_view", "event_name": ""},
            {"event_type": "add_to_cart", "event_name": ""},
        ]
        return {
            "is_group": False,
            "path": path,
            "field": spec.key,
            "operator": operator,
            "operators": [(op, str(OPERATOR_LABELS[op])) for op in spec.operators],
            "widget": widget,
            "value": ", ".join(values)
            if widget == "text" and spec.type == "tag"
            else (values[0] if values else ""),
            "values": values,
            "choices": spec.choices() if spec.choices else [],
            "params": [_param_widget(spec, p, node.get(p)) for p in spec.params if p != "steps"],
            "steps": steps if "steps" in spec.params else None,
            "event_types": _choices(EventType),
        }

    return {"root": walk(tree, "1"), "field_groups": field_groups}


def normalise_tags(tree: dict[str, Any]) -> dict[str, Any]:
    """Tag conditions come from one text box: "vip, fair 2026" is two tags."""
    for child in tree.get("children", []):
        if "children" in child:
            normalise_tags(child)
        elif child.get("field") == "tags" and isinstance(child.get("value"), str):
            child["value"] = [t.strip() for t in child["value"].split(",") if t.strip()]
    return tree
