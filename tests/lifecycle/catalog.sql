-- The catalog of extension crm_metrics, one line per fact, without OIDs, sorted: what an
-- upgraded database and a fresh CREATE EXTENSION of the same version must agree on.
-- tests/lifecycle/lifecycle.py runs it in both and prints the difference.
WITH ext AS (
    SELECT oid, extname FROM pg_extension WHERE extname = 'crm_metrics'
), members AS (
    SELECT d.classid, d.objid, d.objsubid
    FROM pg_depend d JOIN ext ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
    WHERE d.deptype::text = 'e'
), crm AS (
    -- the extension's schemas: crm (what users call) and crm_internal (support functions)
    SELECT oid FROM pg_namespace WHERE nspname IN ('crm', 'crm_internal')
), facts AS (
    SELECT 'extension: ' || concat_ws(' ', 'version=' || e.extversion, 'schema=' || e.extnamespace::regnamespace,
                                      'relocatable=' || e.extrelocatable,
                                      'config=' || coalesce(e.extconfig::regclass[]::text, '-')) AS line
    FROM pg_extension e JOIN ext USING (oid)
    UNION ALL
    SELECT 'schema ' || n.nspname || ': ' || concat_ws(' ', 'owner=' || n.nspowner::regrole, 'acl=' || coalesce(n.nspacl::text, '-'))
    FROM pg_namespace n JOIN crm USING (oid)
    -- every member of the extension
    UNION ALL
    SELECT 'member: ' || pg_describe_object(classid, objid, objsubid) FROM members
    -- objects in the extension's schemas that do not belong to the extension (an upgrade script forgot them)
    UNION ALL
    SELECT 'not a member: ' || pg_describe_object(o.classid, o.objid, 0)
    FROM (SELECT 'pg_proc'::regclass AS classid, oid AS objid FROM pg_proc WHERE pronamespace IN (SELECT oid FROM crm)
          UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE typnamespace IN (SELECT oid FROM crm)
                    AND NOT (typelem <> 0 AND typlen = -1)
                    AND NOT (typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = typrelid) <> 'c')
          UNION ALL SELECT 'pg_class'::regclass, oid FROM pg_class WHERE relnamespace IN (SELECT oid FROM crm)
                    AND relkind NOT IN ('c', 'i', 't')
          UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator WHERE oprnamespace IN (SELECT oid FROM crm)
          UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_opclass WHERE opcnamespace IN (SELECT oid FROM crm)
          UNION ALL SELECT 'pg_opfamily'::regclass, oid FROM pg_opfamily WHERE opfnamespace IN (SELECT oid FROM crm)) o
    WHERE NOT EXISTS (SELECT FROM members m WHERE m.classid = o.classid AND m.objid = o.objid)
    -- functions, procedures and aggregates
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure || ': ' || concat_ws(' ',
        'kind=' || p.prokind::text, 'args=' || pg_get_function_arguments(p.oid),
        'result=' || pg_get_function_result(p.oid), 'lang=' || l.lanname,
        'volatile=' || p.provolatile::text, 'parallel=' || p.proparallel::text, 'strict=' || p.proisstrict,
        'security_definer=' || p.prosecdef, 'leakproof=' || p.proleakproof, 'cost=' || p.procost,
        'rows=' || p.prorows, 'support=' || p.prosupport::regproc, 'owner=' || p.proowner::regrole,
        'config=' || coalesce(p.proconfig::text, '-'), 'acl=' || coalesce(p.proacl::text, '-'),
        'bin=' || coalesce(p.probin, '-'), 'src=' || p.prosrc)
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
    WHERE p.pronamespace IN (SELECT oid FROM crm)
    UNION ALL
    SELECT 'aggregate ' || a.aggfnoid::regprocedure || ': ' || concat_ws(' ',
        'kind=' || a.aggkind::text, 'direct_args=' || a.aggnumdirectargs,
        'sfunc=' || a.aggtransfn::regprocedure, 'stype=' || format_type(a.aggtranstype, NULL),
        'sspace=' || a.aggtransspace, 'initcond=' || coalesce(a.agginitval, '-'),
        'finalfunc=' || a.aggfinalfn::regproc, 'finalfunc_extra=' || a.aggfinalextra,
        'finalfunc_modify=' || a.aggfinalmodify::text, 'combinefunc=' || a.aggcombinefn::regproc,
        'serialfunc=' || a.aggserialfn::regproc, 'deserialfunc=' || a.aggdeserialfn::regproc,
        'msfunc=' || a.aggmtransfn::regproc, 'minvfunc=' || a.aggminvtransfn::regproc,
        'mstype=' || coalesce(format_type(nullif(a.aggmtranstype, 0), NULL), '-'),
        'msspace=' || a.aggmtransspace, 'minitcond=' || coalesce(a.aggminitval, '-'),
        'mfinalfunc=' || a.aggmfinalfn::regproc, 'mfinalfunc_extra=' || a.aggmfinalextra,
        'mfinalfunc_modify=' || a.aggmfinalmodify::text, 'sortop=' || a.aggsortop::regoperator)
    FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
    WHERE p.pronamespace IN (SELECT oid FROM crm)
    -- types: base, composite (with their attributes), domains, arrays
    UNION ALL
    SELECT 'type ' || format_type(t.oid, NULL) || ': ' || concat_ws(' ',
        'type=' || t.typtype::text, 'category=' || t.typcategory::text, 'preferred=' || t.typispreferred,
        'len=' || t.typlen, 'byval=' || t.typbyval, 'align=' || t.typalign::text, 'storage=' || t.typstorage::text,
        'delim=' || t.typdelim::text, 'element=' || coalesce(format_type(nullif(t.typelem, 0), NULL), '-'),
        'array=' || coalesce(format_type(nullif(t.typarray, 0), NULL), '-'),
        'input=' || t.typinput::regproc, 'output=' || t.typoutput::regproc,
        'receive=' || t.typreceive::regproc, 'send=' || t.typsend::regproc,
        'typmod_in=' || t.typmodin::regproc, 'typmod_out=' || t.typmodout::regproc,
        'analyze=' || t.typanalyze::regproc, 'subscript=' || t.typsubscript::regproc,
        'basetype=' || coalesce(format_type(nullif(t.typbasetype, 0), NULL), '-'),
        'not_null=' || t.typnotnull, 'collation=' || t.typcollation, 'default=' || coalesce(t.typdefault, '-'),
        'owner=' || t.typowner::regrole, 'acl=' || coalesce(t.typacl::text, '-'),
        'attributes=' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                                                     ORDER BY a.attnum)
                                   FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0
                                     AND NOT a.attisdropped), '-'))
    FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM crm)
    -- operators, operator classes and families (with their members), casts
    UNION ALL
    SELECT 'operator ' || o.oid::regoperator || ': ' || concat_ws(' ',
        'result=' || format_type(o.oprresult, NULL), 'function=' || o.oprcode::regprocedure,
        'commutator=' || o.oprcom::regoperator, 'negator=' || o.oprnegate::regoperator,
        'restrict=' || o.oprrest::regproc, 'join=' || o.oprjoin::regproc,
        'merges=' || o.oprcanmerge, 'hashes=' || o.oprcanhash)
    FROM pg_operator o WHERE o.oprnamespace IN (SELECT oid FROM crm)
    UNION ALL
    SELECT 'operator class ' || c.opcname || ' using ' || am.amname || ': ' || concat_ws(' ',
        'type=' || format_type(c.opcintype, NULL), 'default=' || c.opcdefault,
        'family=' || f.opfname, 'storage=' || coalesce(format_type(nullif(c.opckeytype, 0), NULL), '-'))
    FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod JOIN pg_opfamily f ON f.oid = c.opcfamily
    WHERE c.opcnamespace IN (SELECT oid FROM crm)
    UNION ALL
    SELECT 'operator family ' || f.opfname || ' using ' || am.amname || ' member: '
           || pg_describe_object('pg_amop'::regclass, ao.oid, 0) || ' purpose=' || ao.amoppurpose::text
    FROM pg_opfamily f JOIN pg_am am ON am.oid = f.opfmethod JOIN pg_amop ao ON ao.amopfamily = f.oid
    WHERE f.opfnamespace IN (SELECT oid FROM crm)
    UNION ALL
    SELECT 'operator family ' || f.opfname || ' using ' || am.amname || ' member: '
           || pg_describe_object('pg_amproc'::regclass, ap.oid, 0)
    FROM pg_opfamily f JOIN pg_am am ON am.oid = f.opfmethod JOIN pg_amproc ap ON ap.amprocfamily = f.oid
    WHERE f.opfnamespace IN (SELECT oid FROM crm)
    UNION ALL
    SELECT 'cast (' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || '): '
           || concat_ws(' ', 'function=' || c.castfunc::regprocedure, 'context=' || c.castcontext::text,
                        'method=' || c.castmethod::text)
    FROM pg_cast c JOIN pg_type s ON s.oid = c.castsource JOIN pg_type t ON t.oid = c.casttarget
    WHERE s.typnamespace IN (SELECT oid FROM crm) OR t.typnamespace IN (SELECT oid FROM crm)
    -- relations in the extension's schemas (none today), with their columns
    UNION ALL
    SELECT 'relation ' || r.oid::regclass || ': kind=' || r.relkind::text || ' columns='
           || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                        FROM pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped), '-')
    FROM pg_class r WHERE r.relnamespace IN (SELECT oid FROM crm) AND r.relkind::text NOT IN ('c', 't')
    -- comments on the members and on their parts (attributes of composite types)
    UNION ALL
    SELECT 'comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description
    FROM pg_description d
    WHERE EXISTS (SELECT FROM members m WHERE m.classid = d.classoid AND m.objid = d.objoid)
       OR (d.classoid = 'pg_class'::regclass
           AND d.objoid IN (SELECT typrelid FROM pg_type WHERE typnamespace IN (SELECT oid FROM crm)))
    UNION ALL
    SELECT 'comment on extension: ' || d.description
    FROM pg_description d JOIN ext ON d.classoid = 'pg_extension'::regclass AND d.objoid = ext.oid
    -- what every member depends on (other than the extension itself)
    UNION ALL
    SELECT 'dependency: ' || pg_describe_object(d.classid, d.objid, d.objsubid) || ' -> '
           || pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) || ' (' || d.deptype::text || ')'
    FROM pg_depend d JOIN members m ON m.classid = d.classid AND m.objid = d.objid
    WHERE d.deptype::text <> 'e'
)
SELECT line FROM facts ORDER BY line COLLATE "C";
