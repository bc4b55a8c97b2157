// node-postgres client: runs each spec entry as a named (server-side) prepared statement,
// executed twice, and checks each decoded value. node-postgres keeps numeric and bigint as
// strings (JavaScript has no exact decimal type), so they must equal the server's text exactly;
// double precision is a number, interval a PostgresInterval, timestamptz and date a Date,
// an anonymous record and a crm summary their text form.
//
//     node client.js HOST PORT DATABASE SPEC      (NODE_PATH=.../node_modules, TZ=UTC)
'use strict';
const fs = require('fs');
const { Client } = require('pg');

function readSpec(path) {
  const entries = [];
  for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const [tag, ...fields] = line.split('\t');
    if (tag === 'E') entries.push({ name: fields[0], user: fields[1], columns: [], rows: [] });
    else if (tag === 'S') entries[entries.length - 1].sql = decodeURIComponent(fields[0]);
    else if (tag === 'C') entries[entries.length - 1].columns.push([fields[0], fields[1]]);
    else if (tag === 'R') entries[entries.length - 1].rows.push(fields.map((v) => (v === '\\N' ? null : v)));
  }
  return entries;
}

function check(kind, value, expected) {
  if (expected === null) return value === null ? null : `expected NULL, got ${value}`;
  const text = decodeURIComponent(expected);
  let ok;
  if (kind === 'numeric' || kind === 'bigint') {
    ok = typeof value === 'string' && value === text;
  } else if (kind === 'double precision' || kind === 'real') {
    ok = typeof value === 'number' && (value === Number(text) || (Number.isNaN(value) && text === 'NaN'));
  } else if (kind === 'integer' || kind === 'smallint') {
    ok = typeof value === 'number' && String(value) === text;
  } else if (kind === 'boolean') {
    ok = typeof value === 'boolean' && (value ? 't' : 'f') === text;
  } else if (kind === 'date') {
    ok = value instanceof Date && value.toISOString().slice(0, 10) === text;
  } else if (kind === 'timestamp with time zone') {
    ok = value instanceof Date && value.getTime() === Math.floor(Number(expected) / 1000);
  } else if (kind === 'interval') {
    const [months, days, micros] = expected.split(' ').map(Number);
    const v = value || {};
    const gotMonths = (v.years || 0) * 12 + (v.months || 0);
    const gotMicros = ((((v.hours || 0) * 60 + (v.minutes || 0)) * 60 + (v.seconds || 0)) * 1000
      + (v.milliseconds || 0)) * 1000;
    ok = typeof value === 'object' && gotMonths === months && (v.days || 0) === days
      && Math.round(gotMicros) === micros;
  } else {
    ok = typeof value === 'string' && value === text;
  }
  return ok ? null : `${kind}: expected ${text}, got ${JSON.stringify(value)}`;
}

async function runEntry(client, entry, index) {
  let result;
  for (let i = 0; i < 2; i += 1) {
    result = await client.query({ name: `crm_q${index}`, text: entry.sql, rowMode: 'array' });
  }
  const prepared = await client.query('SELECT count(*)::int AS n FROM pg_prepared_statements WHERE NOT from_sql');
  if (prepared.rows[0].n === 0) return 'no server-side prepared statement';
  const names = result.fields.map((f) => f.name);
  if (JSON.stringify(names) !== JSON.stringify(entry.columns.map((c) => c[0]))) return `columns ${names}`;
  if (result.rows.length !== entry.rows.length) return `${result.rows.length} rows, expected ${entry.rows.length}`;
  for (let r = 0; r < result.rows.length; r += 1) {
    for (let c = 0; c < entry.columns.length; c += 1) {
      const why = check(entry.columns[c][1], result.rows[r][c], entry.rows[r][c]);
      if (why) return why;
    }
  }
  return null;
}

async function main() {
  const [host, port, database, specPath] = process.argv.slice(2);
  const clients = {};
  const entries = readSpec(specPath);
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i];
    let why;
    try {
      if (!clients[entry.user]) {
        clients[entry.user] = new Client({
          host, port: Number(port), database, user: entry.user,
          options: '-c TimeZone=UTC -c IntervalStyle=postgres',
        });
        await clients[entry.user].connect();
      }
      why = await runEntry(clients[entry.user], entry, i);
    } catch (error) {
      why = `${error.name}: ${error.message}`;
    }
    console.log(why === null ? `ok ${entry.name}` : `FAILED ${entry.name}: ${why}`);
  }
  await Promise.all(Object.values(clients).map((c) => c.end()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
