package io.fortress.db.migrate;

/**
 * One version of the source: its identifier and its up and down files, either of which may be
 * missing (golang-migrate then moves the version without running anything in that direction).
 */
record Migration(long version, String name, Script up, Script down) {

    /** The checksum of the up file; null when there is none. */
    String upChecksum() {
        return up == null ? null : up.checksum();
    }

    String downChecksum() {
        return down == null ? null : down.checksum();
    }

    /** The file name to show for this version: the up file's, else the down file's. */
    String displayName() {
        return up != null ? up.fileName() : down.fileName();
    }

    Script script(Direction direction) {
        return direction == Direction.UP ? up : down;
    }
}
