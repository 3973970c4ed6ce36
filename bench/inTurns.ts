/**
 * Runs two measurements round after round, taking turns at going first (the first in even rounds,
 * the second in odd ones), so that both meet the same caches, merges and spells of a busy machine.
 * Each is given the round's index; the results come back in round order.
 */
export async function inTurns<A, B>(rounds: number, first: (round: number) => Promise<A>, second: (round: number) => Promise<B>): Promise<[A[], B[]]> {
  const firsts: A[] = [];
  const seconds: B[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) {
      firsts.push(await first(round));
      seconds.push(await second(round));
    } else {
      seconds.push(await second(round));
      firsts.push(await first(round));
    }
  }
  return [firsts, seconds];
}
