package io.fortress.bench;

import io.fortress.db.Database;
import io.fortress.db.api.DbConfig;
import io.fortress.db.api.RowMapper;
import java.util.Map;

/**
 * Started in its own JVM by the memory benchmark: either nothing (the JVM alone) or a Database with a
 * primary and two replica pools, idle after one read; prints READY, then stays idle until its input
 * ends (the bench closes it when done, and so does the end of the bench's JVM), and closes the Database.
 * Connection settings come from the environment (DB_* variables), never from arguments.
 */
public final class MemoryChild {
    private MemoryChild() {
    }

    public static void main(String[] args) throws Exception {
        Database db = null;
        try {
            if (args.length > 0 && args[0].equals("database")) {
                db = Database.open(DbConfig.fromEnv(Map.copyOf(System.getenv())));
                db.query("SELECT 1", RowMapper.firstLong());
            }
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() != -1) {
                // idle until end of input
            }
        } finally {
            if (db != null) {
                db.close();
            }
        }
    }
}
