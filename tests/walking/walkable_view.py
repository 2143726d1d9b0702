#!/usr/bin/env python3
"""Writes the SQL view walkable_roads from a walkability table (config/walkability.json): the
pgRouting cross-check's own reading of the rule, so that it checks Gridmap's rather than
repeating it.

Usage: walkable_view.py WALKABILITY_JSON COLUMN...   (the columns src_roads has)

A road is left out when any of its class values (the class_fields it has, lower-cased and
trimmed) is an excluded class or a ferry class (the check refuses a table that makes ferries
timed crossings); walked when one is a pedestrian class; otherwise walked when it
is a walk class (or any class, with walk_unknown_classes) unless its name holds an excluded part
or a tunnel field says yes (with exclude_road_tunnels). Its level (column lvl) is the first
level field holding a whole number from -100 to 100, else 1 when a bridge field says yes, -1 when
a tunnel field does, else 0; network.sql lets lines on different levels meet only at their ends.
"""
import json
import sys


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_text(text):
    return "'" + text.replace("'", "''") + "'"


def text_list(values):
    return "(" + ", ".join(quote_text(v.strip().lower()) for v in values) + ")"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: walkable_view.py WALKABILITY_JSON COLUMN...")
    table = json.load(open(sys.argv[1], encoding="utf-8"))
    columns = {c.lower(): c for c in sys.argv[2:]}
    if table.get("ferry_minutes") is not None:
        sys.exit("walkable_view.py: the table makes ferries timed crossings, which this check does not model")
    present = lambda key: [columns[f.lower()] for f in table[key] if f.lower() in columns]
    # Trimmed of ASCII white space and U+3000 (the ideographic space), as Gridmap compares.
    text = lambda c: ("lower(btrim(coalesce(r.%s::text, ''), E' \\t\\n\\r\\f' || chr(11) || chr(12288)))"
                      % quote_ident(c))
    values = [text(c) for c in present("class_fields")]
    any_in = lambda key: " OR ".join("%s IN %s" % (v, text_list(table[key])) for v in values) or "false"
    name_hit = " OR ".join("coalesce(r.%s::text, '') LIKE %s" % (quote_ident(n), quote_text("%" + part + "%"))
                           for n in present("name_fields") for part in table["excluded_name_parts"]) or "false"
    # A yes/no attribute: empty and the usual ways of writing "no" mean no, anything else yes.
    no = text_list(["", "no", "false", "0", "否", "无", "n", "f", "building_passage"])
    says_yes = lambda key: " OR ".join("%s NOT IN %s" % (text(c), no) for c in present(key)) or "false"
    tunnel_hit = says_yes("tunnel_fields") if table["exclude_road_tunnels"] else "false"
    walk_class = "true" if table["walk_unknown_classes"] else any_in("walk_classes")
    # A level field's whole number: "1", "-1", "+1", "1;2" (the first); out of -100…100 is none.
    levels = ["CASE WHEN l BETWEEN -100 AND 100 THEN l END FROM (SELECT substring(%s FROM '^[+]?(-?[0-9]{1,9})')::int AS l) x"
              % text(c) for c in present("level_fields")]
    level = "coalesce(%s)" % ", ".join(["(SELECT %s)" % l for l in levels] +
                                      ["CASE WHEN %s THEN 1 WHEN %s THEN -1 ELSE 0 END"
                                       % (says_yes("bridge_fields"), says_yes("tunnel_fields"))])
    print("CREATE VIEW walkable_roads AS\nSELECT r.fid, r.geom, %s AS lvl\nFROM src_roads r\nWHERE NOT (%s) AND NOT (%s)\n"
          "  AND ((%s)\n       OR ((%s) AND NOT (%s) AND NOT (%s)));"
          % (level, any_in("excluded_classes"), any_in("ferry_classes"), any_in("pedestrian_classes"), walk_class,
             name_hit, tunnel_hit))


main()
