package io.fortress.db.internal.backup.pitr;

import io.fortress.db.backup.BackupException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;

/** Where a restore stops replaying WAL: the end of the archive, a moment, or a WAL position. */
public sealed interface RestoreTarget {
    /** pgBackRest's restore options for this target. */
    List<String> options();

    /** Replays everything the archive holds ({@code --type=default}). */
    static RestoreTarget latest() {
        return new Latest();
    }

    /** Replays every transaction committed at or before {@code time} ({@code --type=time}). */
    static RestoreTarget time(Instant time) {
        return new Time(time);
    }

    /**
     * Replays up to and including WAL position {@code lsn} ({@code --type=lsn}).
     *
     * @throws BackupException when it is not a WAL position
     */
    static RestoreTarget lsn(String lsn) {
        return new Lsn(lsn);
    }

    /** The end of the archive. */
    record Latest() implements RestoreTarget {
        @Override
        public List<String> options() {
            return List.of("--type=default");
        }
    }

    /** A moment, to the microsecond. */
    record Time(Instant time) implements RestoreTarget {
        private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

        /** Requires a moment. */
        public Time {
            Objects.requireNonNull(time, "time");
        }

        @Override
        public List<String> options() {
            return List.of("--type=time", "--target=" + FORMAT.format(time) + "+00", "--target-action=promote");
        }
    }

    /** A WAL position, in the server's text form. */
    record Lsn(String lsn) implements RestoreTarget {
        /** Checks the position. */
        public Lsn {
            try {
                io.fortress.db.internal.Lsn.parse(lsn);
            } catch (IllegalArgumentException e) {
                throw new BackupException("the restore target " + e.getMessage());
            }
        }

        @Override
        public List<String> options() {
            return List.of("--type=lsn", "--target=" + lsn, "--target-action=promote");
        }
    }
}
