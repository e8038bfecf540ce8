"""The grammar of KPI formulas (lark, LALR), kept as a string so it ships with the module.

A formula is arithmetic over aggregates; an aggregate reads one dataset::

    100 * count(service_requests where status = 'done' and reassignment_count = 0
                by resolved_at)
        / count(service_requests where status = 'done' by resolved_at)

An aggregate may read a RAN counter instead (``pm.`` then the counter's name, which may
hold dots, dashes and a final ``[index]``)::

    100 * sum(pm.RRC.ConnEstabSucc.sum) / sum(pm.RRC.ConnEstabAtt.sum)

Keywords and function names are case-insensitive; dataset, field and counter names are
not. ``#`` starts a comment that runs to the end of the line.
"""

from __future__ import annotations

GRAMMAR = r"""
?start: expr

// Arithmetic over aggregates (the KPI itself).
?expr: term
     | expr PLUS term        -> binop
     | expr MINUS term       -> binop
?term: factor
     | term STAR factor      -> binop
     | term SLASH factor     -> binop
?factor: atom
       | MINUS factor        -> neg
?atom: NUMBER                -> number
     | aggregate
     | counter_aggregate
     | "(" expr ")"

aggregate: NAME "(" [measure OF] NAME clause* ")"
counter_aggregate: NAME "(" COUNTER ")"

?clause: WHERE cond          -> where
       | BY NAME             -> by
       | FROM NAME TO NAME   -> span

// Arithmetic over the fields of one row (what sum, avg, p95... aggregate).
?measure: mterm
        | measure PLUS mterm    -> binop
        | measure MINUS mterm   -> binop
?mterm: mfactor
      | mterm STAR mfactor      -> binop
      | mterm SLASH mfactor     -> binop
?mfactor: matom
        | MINUS mfactor         -> neg
?matom: NUMBER                  -> number
      | NAME                    -> field
      | duration
      | "(" measure ")"

duration: NAME "(" NAME MINUS NAME ")"

// Conditions on the fields of one row.
?cond: conj
     | cond OR conj             -> or_
?conj: neg_cond
     | conj AND neg_cond        -> and_
?neg_cond: comparison
         | NOT neg_cond         -> not_
         | "(" cond ")"
comparison: operand COMPARE operand               -> compare
          | operand IN "(" literals ")"           -> in_
          | operand NOT IN "(" literals ")"       -> not_in
          | operand IS NULL                       -> is_null
          | operand IS NOT NULL                   -> is_not_null
?operand: NAME                  -> field
        | duration
        | literal
literals: literal ("," literal)*
?literal: STRING                -> string
        | NUMBER                -> number
        | MINUS NUMBER          -> negative_number

OF: "of"i
WHERE: "where"i
BY: "by"i
FROM: "from"i
TO: "to"i
OR: "or"i
AND: "and"i
NOT: "not"i
IN: "in"i
IS: "is"i
NULL: "null"i
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
COMPARE: "<=" | ">=" | "!=" | "<>" | "=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
COUNTER.2: /pm\.[A-Za-z_][A-Za-z0-9_.\-]*(\[[0-9]+\])?/
NUMBER: /(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/
STRING: /'([^'\n]|'')*'/

COMMENT: /#[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""
