/**
 * The Byzantine-fault-tolerant commit algorithm of the ASA storage layer, as the family of state machines
 * of Kirby, Dearle and Norcross, "Generating a Family of BFT Protocol Implementations Using a Meta-Model
 * Architecture": one machine per replication factor r, run by each of the r replicas of a data item for
 * one proposed update.
 *
 * The replica counts the messages it has received and sent. With f = floor((r-1)/3) faulty replicas
 * tolerated, it votes and commits once the votes (its own included) reach the vote threshold r - f, and
 * finishes once f + 1 other replicas have committed (the external commit threshold). A replica votes of
 * its own accord only for the one ongoing update it has chosen; `free` and `not free` are the local
 * messages by which its machines for concurrent updates tell each other whether it may choose.
 *
 * The rules are reconstructed from the document's text and its Figures 5 and 9; docs/bft-commit.md gives
 * each with the sentence it comes from, and the counts against the document's Table 1.
 */
import { param } from '../core/protocol.ts';
import type { Action, StateOf } from '../metamodel/model.ts';
import { bool, defineMetaModel, int, send } from '../metamodel/model.ts';

/** The source document's Table 1: states initially and finally, and seconds to generate, by replication factor. */
export const TABLE_1: Readonly<Record<number, { readonly initial: number; readonly final: number; readonly seconds: number }>> = {
  4: { initial: 512, final: 33, seconds: 0.10 },
  7: { initial: 1568, final: 85, seconds: 0.12 },
  13: { initial: 5408, final: 261, seconds: 0.38 },
  25: { initial: 20000, final: 901, seconds: 2.2 },
  46: { initial: 67712, final: 2945, seconds: 19.1 },
};

/** The fault bound and the two thresholds for replication factor r. */
export function bftThresholds(r: number): { f: number; vote: number; commit: number } {
  const f = Math.floor((r - 1) / 3);
  return { f, vote: r - f, commit: f + 1 };
}

const components = ({ r }: { readonly r: number }) => ({
  put_received: bool('the initial put has arrived from the client'),
  votes_received: int(0, r - 1, 'votes received from the other replicas'),
  vote_sent: bool('this replica has sent its vote'),
  commits_received: int(0, r - 1, 'commits received from the other replicas'),
  commit_sent: bool('this replica has sent its commit'),
  could_choose: bool('no other ongoing update has been voted for, so this one may be chosen'),
  has_chosen: bool('this replica has chosen this update'),
});

export type BftState = StateOf<ReturnType<typeof components>>;
export type BftMessage = 'put' | 'vote' | 'commit' | 'free' | 'not free';

const plural = (n: number, one: string, many: string): string => (n === 1 ? `1 ${one}` : `${n} ${many}`);
const count = (n: number, word: string): string => (n === 0 ? `no ${word}s` : plural(n, word, `${word}s`));

/**
 * Choosing this update: with the put in hand and no other update voted for, the replica votes, commits
 * if that vote reaches the vote threshold, and tells its other ongoing updates that it is not free
 * (Figure 9, on `free`: send vote, send commit, send not free).
 */
function choose(s: BftState, voteThreshold: number, actions: Action<BftMessage>[]): BftState {
  const next = { ...s, has_chosen: true, vote_sent: true };
  actions.push(send('vote'));
  if (next.votes_received + 1 >= voteThreshold && !next.commit_sent) {
    actions.push(send('commit'));
    next.commit_sent = true;
  }
  actions.push(send('not free'));
  return next;
}

export const bftCommit = defineMetaModel({
  name: 'bft-commit',
  description: 'BFT commit of one update by one of r replicas (Kirby, Dearle and Norcross)',
  params: {
    r: param.int('replication factor: replicas of the data item', 4, 1, 1000),
  },
  components,
  messages: ['put', 'vote', 'commit', 'free', 'not free'],
  // Nothing received or sent; no other ongoing update has been voted for, so this one may be chosen.
  start: () => ({
    put_received: false, votes_received: 0, vote_sent: false, commits_received: 0, commit_sent: false,
    could_choose: true, has_chosen: false,
  }),
  rules: {
    put(s, { r }) {
      if (s.put_received) return null;
      const t = bftThresholds(r);
      const actions: Action<BftMessage>[] = [];
      if (s.could_choose && !s.vote_sent) {
        const to = choose({ ...s, put_received: true }, t.vote, actions);
        return { to, actions, rationale: 'The put has arrived and no other ongoing update has been voted for, so this update is chosen and voted for.' };
      }
      return {
        to: { ...s, put_received: true },
        rationale: s.vote_sent ? 'The put has arrived; the vote for this update has already been sent.'
          : 'The put has arrived, but another ongoing update has been voted for, so this one is not chosen.',
      };
    },

    // Figure 5, generateTransitionOnVote().
    vote(s, { r }) {
      if (s.votes_received === r - 1) return null; // every other replica has voted
      const t = bftThresholds(r);
      const next = { ...s, votes_received: s.votes_received + 1 };
      const actions: Action<BftMessage>[] = [];
      const total = next.votes_received + (next.vote_sent ? 1 : 0);
      if (total < t.vote) {
        return { to: next, rationale: `One more vote; the votes (${total}) have not reached the vote threshold (${t.vote}).` };
      }
      if (!next.vote_sent) {
        if (next.could_choose) {
          next.has_chosen = true;
          actions.push(send('not free'));
        }
        actions.push(send('vote'));
        next.vote_sent = true;
        next.could_choose = false;
      }
      if (!next.commit_sent) {
        actions.push(send('commit'));
        next.commit_sent = true;
      }
      return {
        to: next, actions,
        rationale: actions.length === 0
          ? `One more vote, after this replica has voted and committed.`
          : `The votes (${total}) reach the vote threshold (${t.vote}): vote if not yet voted, and commit.`,
      };
    },

    commit(s, { r }) {
      if (s.commits_received === r - 1) return null; // every other replica has committed
      const t = bftThresholds(r);
      const c = s.commits_received + 1;
      if (c >= t.commit) {
        return {
          finish: true,
          actions: s.commit_sent ? [] : [send('commit')],
          rationale: `The commits from other replicas reach the external commit threshold (${t.commit}): commit if not yet committed, and finish.`,
        };
      }
      return { to: { ...s, commits_received: c }, rationale: `One more commit; the external commit threshold (${t.commit}) has not been reached.` };
    },

    free(s, { r }) {
      const next = { ...s, could_choose: true };
      if (s.put_received && !s.vote_sent) {
        const actions: Action<BftMessage>[] = [];
        const to = choose(next, bftThresholds(r).vote, actions);
        return { to, actions, rationale: 'No other ongoing update is voted for any more and the put is here, so this update is chosen and voted for.' };
      }
      return {
        to: next,
        rationale: s.vote_sent ? 'No other ongoing update is voted for any more; this one has already been voted for.'
          : 'No other ongoing update is voted for any more, so this one may be chosen once its put arrives.',
      };
    },

    'not free'(s) {
      if (s.vote_sent) return null; // once this update has been voted for, the vote stands
      return { to: { ...s, could_choose: false }, rationale: 'Another ongoing update has been chosen, so this one may not be chosen.' };
    },
  },

  // The commentary of Figure 9, sentence by sentence.
  describe(s, { r }) {
    const t = bftThresholds(r);
    const out: string[] = [];
    out.push(s.put_received ? 'Have received initial put from client.' : 'Have not received initial put from client.');
    if (s.vote_sent) out.push(s.has_chosen ? 'Have voted for this update.' : `Have voted since the vote threshold (${t.vote}) was reached.`);
    else if (!s.could_choose) out.push('Have not voted since another update has already been voted for.');
    else out.push('Have not voted since initial put has not been received.');
    out.push(`Have received ${count(s.votes_received, 'vote')} and ${count(s.commits_received, 'commit')}.`);
    out.push(s.commit_sent ? `Have sent a commit since the vote threshold (${t.vote}) has been reached.`
      : `Have not sent a commit since neither the vote threshold (${t.vote}) nor the external commit threshold (${t.commit}) has been reached.`);
    if (s.vote_sent) out.push(s.could_choose ? 'No other ongoing update has been voted for.' : 'May not choose since a vote has been sent.');
    else out.push(s.could_choose ? 'May choose since no other ongoing update has been voted for.' : 'May not choose since another ongoing update has been voted for.');
    if (s.has_chosen) out.push('Have chosen this update.');
    else if (s.vote_sent) out.push('Have not chosen this update since it had not been chosen when the vote threshold was reached.');
    else if (!s.could_choose) out.push('Have not chosen this update since another ongoing update has been chosen.');
    else out.push('Have not chosen this update yet.');
    if (!s.commit_sent) {
      const need = t.vote - s.votes_received - (s.vote_sent ? 1 : 0);
      out.push(`Waiting for ${plural(need, 'further vote', 'further votes')} (including local vote if any) before sending commit.`);
    }
    const need = t.commit - s.commits_received;
    out.push(`Waiting for ${plural(need, 'further external commit', 'further external commits')} to finish.`);
    return out.join(' ');
  },
});
