/*
 * Two-phase commit for SPIN -- mirrors the TLA+ TwoPhase spec (Lamport/Gray):
 * one transaction manager (TM), RMS resource managers (RMs), and a grow-only
 * set of messages.  Pick RMS at compile time:  spin -DRMS=8 -a two-phase-commit.pml
 *
 * One active process runs a `do` loop with one d_step per TLA+ action
 * instance, so every SPIN state is exactly one TLA+ state: the globals below
 * are the whole spec state, the process never leaves the loop head (no
 * intermediate or end states), and SPIN's "states, stored" equals TLC's count
 * of distinct states.  The invariant Consistency (no RM committed while
 * another aborted) is asserted after every action that changes an RM.
 * There is no `end` label: a deadlock would be reported as an invalid end state.
 */
#ifndef RMS
#define RMS 3
#endif
#if RMS < 1 || RMS > 12
#error "RMS must be in 1..12"
#endif

#define ALL_RMS   ((1 << RMS) - 1)

mtype = { working, prepared, committed, aborted, tmInit };  /* tmInit is TLA+ "init" (a Promela keyword) */

mtype rmState[RMS] = working;  /* rmState[r] in {working, prepared, committed, aborted} */
mtype tmState = tmInit;           /* tmState in {init, committed, aborted}                */
unsigned tmPrepared : RMS = 0;    /* bit r set <=> r \in tmPrepared                         */
unsigned msgPrepared : RMS = 0;   /* bit r set <=> [type |-> "Prepared", rm |-> r] \in msgs */
bit msgCommit = 0;                /* [type |-> "Commit"] \in msgs                           */
bit msgAbort = 0;                 /* [type |-> "Abort"]  \in msgs                           */

hidden byte i;                    /* scratch for the invariant; not part of the state */
hidden byte anyCommitted, anyAborted;

/* Consistency == \A r1, r2 \in RM : ~(rmState[r1] = "aborted" /\ rmState[r2] = "committed") */
inline checkConsistency() {
  anyCommitted = 0; anyAborted = 0;
  for (i : 0 .. RMS - 1) {
    anyCommitted = anyCommitted || rmState[i] == committed;
    anyAborted = anyAborted || rmState[i] == aborted
  }
  assert(!(anyCommitted && anyAborted));
  i = 0; anyCommitted = 0; anyAborted = 0
}

/* The five per-RM actions, instantiated once for each r in 0..RMS-1. */
#define RM_ACTIONS(r) \
  :: d_step { tmState == tmInit && (msgPrepared & (1 << r)) -> /* TMRcvPrepared(r) */ \
       tmPrepared = tmPrepared | (1 << r) } \
  :: d_step { rmState[r] == working -> /* RMPrepare(r) */ \
       rmState[r] = prepared; msgPrepared = msgPrepared | (1 << r) } \
  :: d_step { rmState[r] == working -> /* RMChooseToAbort(r) */ \
       rmState[r] = aborted; checkConsistency() } \
  :: d_step { msgCommit -> /* RMRcvCommitMsg(r) */ \
       rmState[r] = committed; checkConsistency() } \
  :: d_step { msgAbort -> /* RMRcvAbortMsg(r) */ \
       rmState[r] = aborted; checkConsistency() }

active proctype TwoPhase() {
  do
  :: d_step { tmState == tmInit && tmPrepared == ALL_RMS -> /* TMCommit */
       tmState = committed; msgCommit = 1 }
  :: d_step { tmState == tmInit -> /* TMAbort */
       tmState = aborted; msgAbort = 1 }
  RM_ACTIONS(0)
#if RMS > 1
  RM_ACTIONS(1)
#endif
#if RMS > 2
  RM_ACTIONS(2)
#endif
#if RMS > 3
  RM_ACTIONS(3)
#endif
#if RMS > 4
  RM_ACTIONS(4)
#endif
#if RMS > 5
  RM_ACTIONS(5)
#endif
#if RMS > 6
  RM_ACTIONS(6)
#endif
#if RMS > 7
  RM_ACTIONS(7)
#endif
#if RMS > 8
  RM_ACTIONS(8)
#endif
#if RMS > 9
  RM_ACTIONS(9)
#endif
#if RMS > 10
  RM_ACTIONS(10)
#endif
#if RMS > 11
  RM_ACTIONS(11)
#endif
  od
}
