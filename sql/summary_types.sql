-- What every summary and model type gets (the types declared with summary_type! in
-- src/common/pg.rs; run last, so it sees the types of every family):
--   crm.<type>_recv / crm.<type>_send: binary send/receive (COPY ... (FORMAT binary), binary
--     protocol clients); the binary form is the stored form, receive validates it;
--   crm.= and crm.<>: equality of the (canonical) binary forms;
--   crm.<type>_hash_ops: the default hash operator class, so DISTINCT, GROUP BY, UNION, IN and
--     hash joins work.
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
            CREATE FUNCTION crm.%1$I(internal) RETURNS crm.%3$I
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', %4$L;
            CREATE FUNCTION crm.%2$I(crm.%3$I) RETURNS bytea
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_send';
            ALTER TYPE crm.%3$I SET (RECEIVE = crm.%1$I, SEND = crm.%2$I);
            COMMENT ON FUNCTION crm.%1$I(internal) IS
                'Binary receive function of crm.%3$s: reads and validates the binary form';
            COMMENT ON FUNCTION crm.%2$I(crm.%3$I) IS
                'Binary send function of crm.%3$s: the stored binary form';
            $sql$, type_name || '_recv', type_name || '_send', type_name,
            'crm_' || type_name || '_recv');
        EXECUTE format($sql$
            CREATE FUNCTION crm.%1$I(crm.%4$I, crm.%4$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_eq';
            CREATE FUNCTION crm.%2$I(crm.%4$I, crm.%4$I) RETURNS boolean
                IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_ne';
            CREATE FUNCTION crm.%3$I(crm.%4$I) RETURNS integer
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash';
            CREATE FUNCTION crm.%5$I(crm.%4$I, bigint) RETURNS bigint
                IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_summary_hash_extended';
            CREATE OPERATOR crm.= (
                LEFTARG = crm.%4$I, RIGHTARG = crm.%4$I, FUNCTION = crm.%1$I,
                COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),
                RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
            );
            CREATE OPERATOR crm.<> (
                LEFTARG = crm.%4$I, RIGHTARG = crm.%4$I, FUNCTION = crm.%2$I,
                COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),
                RESTRICT = neqsel, JOIN = neqjoinsel
            );
            CREATE OPERATOR CLASS crm.%6$I DEFAULT FOR TYPE crm.%4$I USING hash AS
                OPERATOR 1 crm.= (crm.%4$I, crm.%4$I),
                FUNCTION 1 crm.%3$I(crm.%4$I),
                FUNCTION 2 crm.%5$I(crm.%4$I, bigint);
            COMMENT ON FUNCTION crm.%1$I(crm.%4$I, crm.%4$I) IS
                'Whether two crm.%4$s values have the same binary form (operator =)';
            COMMENT ON FUNCTION crm.%2$I(crm.%4$I, crm.%4$I) IS
                'Whether two crm.%4$s values have different binary forms (operator <>)';
            COMMENT ON FUNCTION crm.%3$I(crm.%4$I) IS
                'Hash of the binary form of a crm.%4$s (hash operator class)';
            COMMENT ON FUNCTION crm.%5$I(crm.%4$I, bigint) IS
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
