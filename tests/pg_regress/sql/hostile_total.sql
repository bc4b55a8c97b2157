-- Hostile input, the verdict, over the cases the hostile_<family> files ran: how many
-- succeeded or failed with which class, any outcome that is neither a success nor a class-22
-- error nor 54000 (an XX000, another class, a panic's text), and any function of schema crm that
-- no case calls. Both lists must be empty. (A crash would have shown in the family's own file.)
SELECT family, count(*) AS cases,
       count(*) FILTER (WHERE outcome LIKE 'ok: %') AS succeeded,
       count(*) FILTER (WHERE outcome ~ '^22[0-9A-Z]{3}: ') AS class_22,
       count(*) FILTER (WHERE outcome LIKE '54000: %') AS too_large
FROM hostile_cases GROUP BY ROLLUP (family) ORDER BY family;
SELECT left(outcome, 5) AS sqlstate, count(*) AS cases
FROM hostile_cases WHERE outcome NOT LIKE 'ok: %' GROUP BY 1 ORDER BY 1;
-- Outcomes outside the contract: none.
SELECT family, n, outcome FROM hostile_cases
WHERE outcome !~ '^(ok: |22[0-9A-Z]{3}: |54000: )' OR outcome ~* 'panic|rust|backtrace|unwrap|internal error'
ORDER BY family, n;
-- Functions and aggregates of schema crm no case calls (the support functions of aggregates, which
-- SQL cannot call (an internal argument), and the input, output, binary, equality and hash
-- functions of the types, which the casts and the Rust generators cover, aside): none.
SELECT p.oid::regprocedure AS not_called
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_aggregate a WHERE p.oid IN (a.aggtransfn, a.aggfinalfn,
      a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn))
  AND NOT EXISTS (SELECT FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
  AND NOT EXISTS (SELECT FROM pg_operator o WHERE o.oprcode = p.oid)
  AND NOT EXISTS (SELECT FROM pg_amproc a WHERE a.amproc = p.oid)
  AND NOT EXISTS (SELECT FROM hostile_cases c WHERE strpos(c.query, 'crm.' || p.proname || '(') > 0)
ORDER BY 1;
-- Summary, model and calendar types no case reads from text: none.
SELECT t.oid::regtype AS not_read_from_text
FROM pg_type t
WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'b' AND t.typelem = 0
  AND NOT EXISTS (SELECT FROM hostile_cases c WHERE strpos(c.query, '::crm.' || t.typname) > 0)
ORDER BY 1;
