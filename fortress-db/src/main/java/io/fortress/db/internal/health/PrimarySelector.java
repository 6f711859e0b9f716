package io.fortress.db.internal.health;

import io.fortress.db.api.NodeState;

import java.util.List;

/**
 * Which DB_HOST candidate writes go to: a pure function of the candidates' states and timelines. Writes
 * move only to a candidate that is UP on a known timeline, and only when the current primary no longer
 * accepts writes or another candidate is on a newer timeline (it was promoted past the current one).
 * Among several, the newest timeline wins, then the first configured.
 */
final class PrimarySelector {
    private PrimarySelector() {
    }

    /** A candidate as last checked; {@code timeline} is null when unknown. */
    record Candidate(NodeState state, Long timeline) {
    }

    /**
     * Where writes should go.
     *
     * @param index      the chosen candidate; the current one when nothing should change
     * @param splitBrain true when the current primary still accepts writes, but another is on a newer timeline
     */
    record Choice(int index, boolean splitBrain) {
    }

    static Choice choose(List<Candidate> candidates, int current) {
        int best = -1;
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            if (c.state() == NodeState.UP && c.timeline() != null
                    && (best < 0 || c.timeline() > candidates.get(best).timeline())) {
                best = i;
            }
        }
        if (best < 0 || best == current) {
            return new Choice(current, false);
        }
        Candidate now = candidates.get(current);
        boolean currentWritable = now.state() == NodeState.UP;
        long currentTimeline = now.timeline() == null ? -1 : now.timeline();
        if (currentWritable && candidates.get(best).timeline() <= currentTimeline) {
            return new Choice(current, false);
        }
        return new Choice(best, currentWritable);
    }
}
