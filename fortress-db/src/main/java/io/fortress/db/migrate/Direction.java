package io.fortress.db.migrate;

/** Which file of a version runs: its {@code .up.sql} or its {@code .down.sql}. */
public enum Direction {
    UP, DOWN
}
