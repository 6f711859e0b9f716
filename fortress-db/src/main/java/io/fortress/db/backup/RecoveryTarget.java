package io.fortress.db.backup;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a point-in-time restore stops replaying WAL: the end of the archive, a moment, or a WAL position.
 *
 * @param time a moment: every transaction committed at or before it is replayed
 * @param lsn  a WAL position (e.g. {@code 0/3000060}): replay stops just after it
 */
public record RecoveryTarget(Optional<Instant> time, Optional<String> lsn) {
    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .appendOffset("+HH:mm", "Z").toFormatter();

    /** At most one of time and LSN; both empty is the end of the archive. */
    public RecoveryTarget {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(lsn, "lsn");
        if (time.isPresent() && lsn.isPresent()) {
            throw new IllegalArgumentException("a restore stops at a time or at an LSN, not both");
        }
        lsn.ifPresent(RecoveryTarget::checkLsn);
    }

    /** Everything the archive holds. */
    public static RecoveryTarget latest() {
        return new RecoveryTarget(Optional.empty(), Optional.empty());
    }

    public static RecoveryTarget time(Instant time) {
        return new RecoveryTarget(Optional.of(time), Optional.empty());
    }

    /**
     * A WAL position in PostgreSQL's text form.
     *
     * @throws IllegalArgumentException when it is not one
     */
    public static RecoveryTarget lsn(String lsn) {
        return new RecoveryTarget(Optional.empty(), Optional.of(lsn));
    }

    /**
     * Just after a write: the WAL position of the consistency token fortress handed out for it
     * ({@code Database.consistencyToken()}); everything written up to that position is replayed, the write included.
     */
    public static RecoveryTarget token(io.fortress.db.api.ConsistencyToken token) {
        return lsn(Objects.requireNonNull(token, "token").toString());
    }

    /**
     * A moment written with its offset, as {@code 2026-12-07 10:15:00+00}, {@code 2026-12-07T10:15:00.5Z} or
     * {@code 2026-12-07 10:15:00+01:00}.
     *
     * @throws IllegalArgumentException saying what is accepted; a time without an offset is refused (whose clock would it be?)
     */
    public static Instant parseTime(String text) {
        String t = text == null ? "" : text.strip();
        try {
            return OffsetDateTime.parse(t.replace('T', ' ').replaceAll("([+-]\\d\\d)$", "$1:00"), TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time with an offset: write e.g. '2026-12-07 10:15:00+00' "
                    + "or 2026-12-07T10:15:00Z");
        }
    }

    private static void checkLsn(String lsn) {
        if (!lsn.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
            throw new IllegalArgumentException("'" + lsn + "' is not a WAL position: write it as PostgreSQL shows it, e.g. 0/3000060");
        }
    }

    @Override
    public String toString() {
        return time.map(t -> "time " + t).or(() -> lsn.map(l -> "LSN " + l)).orElse("latest");
    }
}
