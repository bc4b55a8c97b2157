-- What every summary and model type gets (the types declared with summary_type! in
-- src/common/pg.rs; run last, so it sees the types of every family). The type stays in schema
-- crm; its support functions live in crm_internal:
--   crm_internal.<type>_in / _out: the text form (pgrx declares them beside the type; moved here);
--   crm_internal.<type>_recv / _send: binary send/receive (COPY ... (FORMAT binary), binary
--     protocol clients); the binary form is the stored form, receive validates it;
--   crm.= and crm.<> (crm_internal.<type>_eq / _ne): equality of the (canonical) binary forms;
--   crm.<type>_hash_ops: the default hash operator class, so DISTINCT, GROUP BY, UNION, IN and
--     hash joins work;
--   crm.<, <=, >, >= and crm.<type>_btree_ops (the second block below): the default btree
--     operator class, ordering the binary forms byte by byte.
-- The receive function is the C symbol crm_<type>_recv that summary_type! exports; the others are
-- shared by every type.
DO $summary_types$
DECLARE
    type_name name;
BEGIN
    FOR type_name IN
        SELECT t.typname FROM pg_type t
        WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'b' AND t.typelem = 0
        ORDER BY t.typname
    LOOP
        EXECUTE format($sql$
            CREATE FUNCTION crm_internal.%1$I(internal) RETURNS crm.%3$I
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', %4$L;
            CREATE FUNCTION crm_internal.%2$I(crm.%3$I) RETURNS bytea
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
            ALTER TYPE crm.%3$I SET (RECEIVE = crm_internal.%1$I, SEND = crm_internal.%2$I);
            COMMENT ON FUNCTION crm_internal.%1$I(internal) IS
                'Binary receive function of crm.%3$s: reads and validates the binary form';
            COMMENT ON FUNCTION crm_internal.%2$I(crm.%3$I) IS
                'Binary send function of crm.%3$s: the stored binary form';
            $sql$, type_name || '_recv', type_name || '_send', type_name,
            'crm_' || type_name || '_recv');
        EXECUTE format($sql$
            ALTER FUNCTION crm.%1$I(cstring) SET SCHEMA crm_internal;
            ALTER FUNCTION crm.%2$I(crm.%3$I) SET SCHEMA crm_internal;
            COMMENT ON FUNCTION crm_internal.%1$I(cstring) IS 'Text input of crm.%3$s.';
            COMMENT ON FUNCTION crm_internal.%2$I(crm.%3$I) IS 'Text output of crm.%3$s.';
            $sql$, type_name || '_in', type_name || '_out', type_name);
        EXECUTE format($sql$
            CREATE FUNCTION crm_internal.%1$I(crm.%4$I, crm.%4$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
            CREATE FUNCTION crm_internal.%2$I(crm.%4$I, crm.%4$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
            CREATE FUNCTION crm_internal.%3$I(crm.%4$I) RETURNS integer
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
            CREATE FUNCTION crm_internal.%5$I(crm.%4$I, bigint) RETURNS bigint
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
            CREATE OPERATOR crm.= (
                LEFTARG = crm.%4$I, RIGHTARG = crm.%4$I, FUNCTION = crm_internal.%1$I,
                COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
                RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
            );
            CREATE OPERATOR crm.<> (
                LEFTARG = crm.%4$I, RIGHTARG = crm.%4$I, FUNCTION = crm_internal.%2$I,
                COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
                RESTRICT = neqsel, JOIN = neqjoinsel
            );
            CREATE OPERATOR CLASS crm.%6$I DEFAULT FOR TYPE crm.%4$I USING hash AS
                OPERATOR 1 crm.= (crm.%4$I, crm.%4$I),
                FUNCTION 1 crm_internal.%3$I(crm.%4$I),
                FUNCTION 2 crm_internal.%5$I(crm.%4$I, bigint);
            COMMENT ON FUNCTION crm_internal.%1$I(crm.%4$I, crm.%4$I) IS
                'Whether two crm.%4$s values have the same binary form (operator =)';
            COMMENT ON FUNCTION crm_internal.%2$I(crm.%4$I, crm.%4$I) IS
                'Whether two crm.%4$s values have different binary forms (operator <>)';
            COMMENT ON FUNCTION crm_internal.%3$I(crm.%4$I) IS
                'Hash of the binary form of a crm.%4$s (hash operator class)';
            COMMENT ON FUNCTION crm_internal.%5$I(crm.%4$I, bigint) IS
                'Seeded 64-bit hash of the binary form of a crm.%4$s (hash operator class)';
            COMMENT ON OPERATOR crm.= (crm.%4$I, crm.%4$I) IS
                'Equal crm.%4$s values: the same binary form';
            COMMENT ON OPERATOR crm.<> (crm.%4$I, crm.%4$I) IS
                'Different crm.%4$s values: different binary forms';
            COMMENT ON OPERATOR CLASS crm.%6$I USING hash IS
                'Default hash operator class of crm.%4$s (DISTINCT, GROUP BY, UNION, IN, hash joins)';
            COMMENT ON OPERATOR FAMILY crm.%6$I USING hash IS
                'Hash operator family of crm.%4$s';
            $sql$, type_name || '_eq', type_name || '_ne', type_name || '_hash', type_name,
            type_name || '_hash_extended', type_name || '_hash_ops');
    END LOOP;
END
$summary_types$;

-- Every type with a hash operator class also gets a default btree operator class, so ORDER BY a
-- summary, an aggregate's DISTINCT (count(DISTINCT s)), sort-based grouping and merge joins work:
--   crm.< crm.<= crm.> crm.>= and crm.<type>_cmp: the canonical binary forms compared byte by
--     byte, a total order that agrees with crm.= (it orders values, not the metrics they hold);
--   crm.<type>_btree_ops: the default btree operator class.
DO $summary_order$
DECLARE
    type_name name;
BEGIN
    FOR type_name IN
        SELECT t.typname FROM pg_type t
        WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'b' AND t.typelem = 0
          AND EXISTS (SELECT FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
                      WHERE c.opcintype = t.oid AND c.opcdefault AND a.amname = 'hash')
        ORDER BY t.typname
    LOOP
        EXECUTE format($sql$
            CREATE FUNCTION crm_internal.%1$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_lt';
            CREATE FUNCTION crm_internal.%2$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_le';
            CREATE FUNCTION crm_internal.%3$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_gt';
            CREATE FUNCTION crm_internal.%4$I(crm.%6$I, crm.%6$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ge';
            CREATE FUNCTION crm_internal.%5$I(crm.%6$I, crm.%6$I) RETURNS integer
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_cmp';
            CREATE OPERATOR crm.< (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm_internal.%1$I,
                COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),
                RESTRICT = scalarltsel, JOIN = scalarltjoinsel
            );
            CREATE OPERATOR crm.<= (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm_internal.%2$I,
                COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),
                RESTRICT = scalarlesel, JOIN = scalarlejoinsel
            );
            CREATE OPERATOR crm.> (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm_internal.%3$I,
                COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),
                RESTRICT = scalargtsel, JOIN = scalargtjoinsel
            );
            CREATE OPERATOR crm.>= (
                LEFTARG = crm.%6$I, RIGHTARG = crm.%6$I, FUNCTION = crm_internal.%4$I,
                COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),
                RESTRICT = scalargesel, JOIN = scalargejoinsel
            );
            CREATE OPERATOR CLASS crm.%7$I DEFAULT FOR TYPE crm.%6$I USING btree AS
                OPERATOR 1 crm.< (crm.%6$I, crm.%6$I),
                OPERATOR 2 crm.<= (crm.%6$I, crm.%6$I),
                OPERATOR 3 crm.= (crm.%6$I, crm.%6$I),
                OPERATOR 4 crm.>= (crm.%6$I, crm.%6$I),
                OPERATOR 5 crm.> (crm.%6$I, crm.%6$I),
                FUNCTION 1 crm_internal.%5$I(crm.%6$I, crm.%6$I);
            COMMENT ON FUNCTION crm_internal.%1$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts before another''s (operator <, btree operator class)';
            COMMENT ON FUNCTION crm_internal.%2$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts before or equals another''s (operator <=, btree operator class)';
            COMMENT ON FUNCTION crm_internal.%3$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts after another''s (operator >, btree operator class)';
            COMMENT ON FUNCTION crm_internal.%4$I(crm.%6$I, crm.%6$I) IS
                'Whether the binary form of a crm.%6$s sorts after or equals another''s (operator >=, btree operator class)';
            COMMENT ON FUNCTION crm_internal.%5$I(crm.%6$I, crm.%6$I) IS
                'Compares the binary forms of two crm.%6$s values: -1, 0 or 1 (btree operator class)';
            COMMENT ON OPERATOR crm.< (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';
            COMMENT ON OPERATOR crm.<= (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts before or is equal';
            COMMENT ON OPERATOR crm.> (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts after';
            COMMENT ON OPERATOR crm.>= (crm.%6$I, crm.%6$I) IS
                'crm.%6$s sort order: the binary form sorts after or is equal';
            COMMENT ON OPERATOR CLASS crm.%7$I USING btree IS
                'Default btree operator class of crm.%6$s (ORDER BY, count(DISTINCT ...), sort-based GROUP BY, merge joins): the binary forms compared byte by byte';
            COMMENT ON OPERATOR FAMILY crm.%7$I USING btree IS
                'Btree operator family of crm.%6$s';
            $sql$, type_name || '_lt', type_name || '_le', type_name || '_gt', type_name || '_ge',
            type_name || '_cmp', type_name, type_name || '_btree_ops');
    END LOOP;
END
$summary_order$;
