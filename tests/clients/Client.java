// PostgreSQL JDBC client (the driver BI tools use): runs each spec entry through a
// PreparedStatement with prepareThreshold 1, so the second execution uses a server-side
// prepared statement (and binary transfer for the types the driver knows), and checks each
// decoded value: numeric is a BigDecimal, double precision a Double, interval a PGInterval,
// timestamptz an OffsetDateTime, date a LocalDate, an anonymous record and a crm summary a
// PGobject holding their text form. The views of docs/bi.md must have plain columns only.
//
//     java -cp DIR:/usr/share/java/postgresql.jar Client HOST PORT DATABASE SPEC
import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.postgresql.PGStatement;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;

public final class Client {
    static final class Entry {
        String name;
        String user;
        String sql;
        final List<String[]> columns = new ArrayList<>();
        final List<String[]> rows = new ArrayList<>();
    }

    static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    static List<Entry> readSpec(String path) throws Exception {
        List<Entry> entries = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            Entry last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
            switch (fields[0]) {
                case "E":
                    Entry entry = new Entry();
                    entry.name = fields[1];
                    entry.user = fields[2];
                    entries.add(entry);
                    break;
                case "S":
                    last.sql = decode(fields[1]);
                    break;
                case "C":
                    last.columns.add(new String[] {fields[1], fields[2]});
                    break;
                default:
                    String[] row = new String[fields.length - 1];
                    for (int i = 1; i < fields.length; i++) {
                        row[i - 1] = fields[i].equals("\\N") ? null : fields[i];
                    }
                    last.rows.add(row);
            }
        }
        return entries;
    }

    /** null when the value read from column `column` decodes `expected`, else why not. */
    static String check(ResultSet rs, int column, String kind, String expected) throws SQLException {
        Object value = rs.getObject(column);
        if (expected == null) {
            return value == null ? null : "expected NULL, got " + value;
        }
        String text = decode(expected);
        boolean ok;
        switch (kind) {
            case "numeric":
                ok = value instanceof BigDecimal && ((BigDecimal) value).toPlainString().equals(text);
                break;
            case "double precision":
                ok = value instanceof Double && ((Double) value).equals(Double.valueOf(text));
                break;
            case "bigint":
                ok = value instanceof Long && value.toString().equals(text);
                break;
            case "integer":
                ok = value instanceof Integer && value.toString().equals(text);
                break;
            case "boolean":
                ok = value instanceof Boolean && (((Boolean) value) ? "t" : "f").equals(text);
                break;
            case "date":
                ok = rs.getObject(column, LocalDate.class).toString().equals(text);
                break;
            case "timestamp with time zone": {
                OffsetDateTime at = rs.getObject(column, OffsetDateTime.class);
                ok = ChronoUnit.MICROS.between(Instant.EPOCH, at.toInstant()) == Long.parseLong(expected);
                break;
            }
            case "interval": {
                String[] parts = expected.split(" ");
                if (!(value instanceof PGInterval)) {
                    ok = false;
                    break;
                }
                PGInterval interval = (PGInterval) value;
                long micros = Math.round((((long) interval.getHours() * 60 + interval.getMinutes()) * 60
                        + interval.getSeconds()) * 1_000_000d);
                ok = interval.getYears() * 12 + interval.getMonths() == Integer.parseInt(parts[0])
                        && interval.getDays() == Integer.parseInt(parts[1])
                        && micros == Long.parseLong(parts[2]);
                break;
            }
            case "text":
                ok = value instanceof String && value.equals(text);
                break;
            default: // an anonymous record or a crm summary type: a PGobject with the text form
                ok = value instanceof PGobject && text.equals(((PGobject) value).getValue())
                        && text.equals(rs.getString(column));
        }
        return ok ? null : kind + ": expected " + text + ", got " + value
                + (value == null ? "" : " (" + value.getClass().getName() + ")");
    }

    static String run(Connection connection, Entry entry) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(entry.sql)) {
            statement.unwrap(PGStatement.class).setPrepareThreshold(1);
            for (int execution = 0; execution < 2; execution++) {
                try (ResultSet rs = statement.executeQuery()) {
                    if (execution == 0) {
                        continue;
                    }
                    if (!statement.unwrap(PGStatement.class).isUseServerPrepare()) {
                        return "no server-side prepared statement";
                    }
                    ResultSetMetaData meta = rs.getMetaData();
                    if (meta.getColumnCount() != entry.columns.size()) {
                        return meta.getColumnCount() + " columns";
                    }
                    for (int c = 1; c <= meta.getColumnCount(); c++) {
                        if (!meta.getColumnLabel(c).equals(entry.columns.get(c - 1)[0])) {
                            return "column " + c + " is " + meta.getColumnLabel(c);
                        }
                        int type = meta.getColumnType(c);
                        if (entry.name.startsWith("bi.") && (type == Types.OTHER || type == Types.STRUCT)) {
                            return "dashboard view column " + meta.getColumnLabel(c) + " has type "
                                    + meta.getColumnTypeName(c) + ": only plain columns belong in a view a BI tool reads";
                        }
                    }
                    int row = 0;
                    while (rs.next()) {
                        if (row >= entry.rows.size()) {
                            return "more than " + entry.rows.size() + " rows";
                        }
                        for (int c = 1; c <= entry.columns.size(); c++) {
                            String why = check(rs, c, entry.columns.get(c - 1)[1], entry.rows.get(row)[c - 1]);
                            if (why != null) {
                                return why;
                            }
                        }
                        row++;
                    }
                    if (row != entry.rows.size()) {
                        return row + " rows, expected " + entry.rows.size();
                    }
                }
            }
        }
        return null;
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/" + args[2];
        Map<String, Connection> connections = new HashMap<>();
        for (Entry entry : readSpec(args[3])) {
            String why;
            try {
                Connection connection = connections.get(entry.user);
                if (connection == null) {
                    Properties properties = new Properties();
                    properties.setProperty("user", entry.user);
                    properties.setProperty("options", "-c TimeZone=UTC -c IntervalStyle=postgres");
                    connection = DriverManager.getConnection(url, properties);
                    connections.put(entry.user, connection);
                }
                why = run(connection, entry);
            } catch (SQLException error) {
                why = error.getClass().getSimpleName() + ": " + error.getMessage();
            }
            System.out.println(why == null ? "ok " + entry.name : "FAILED " + entry.name + ": " + why);
        }
        for (Connection connection : connections.values()) {
            connection.close();
        }
    }
}
