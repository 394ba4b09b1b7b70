// Groups questions by meaning: greedy single-link clustering of question embeddings.
export interface QuestionItem {
  /** The normalised question text (lowercase, single spaces). */
  text: string;
  /** How often it was asked; the most asked question of a group represents it. */
  count: number;
  embedding: readonly number[];
}

/**
 * Cosine similarity at which two questions are one group (single link), by embedder kind.
 * Measured with the hashing embedder on 15 paraphrases of three topics and 6 other questions
 * (gaps.test.ts uses such groups): most paraphrase pairs sharing a topic word score 0.45-1.0 and
 * single link joins the rest through a neighbour, while unrelated questions sharing only "office"
 * or "employees" score up to 0.36, as do a few paraphrase pairs (those stay apart), so 0.45. The
 * Dice overlap of stemmed terms was measured as a second signal and tracked the hashing cosine
 * within 0.1 on every pair (it is the same word signal), so it is not used; paraphrases sharing no
 * word ("dog" and "pets") need a semantic embedder.
 */
export const LOCAL_CLUSTER_THRESHOLD = 0.45;
/** Not measured here (no network): paraphrases typically score above 0.7 with such models. */
export const SEMANTIC_CLUSTER_THRESHOLD = 0.7;

interface Prepared {
  item: QuestionItem;
  /** Non-zero components: hashing embeddings are sparse, which makes pairs ~50x cheaper. */
  indices: Int32Array;
  values: Float32Array;
  norm: number;
}

function prepare(item: QuestionItem): Prepared {
  const indices: number[] = [];
  const values: number[] = [];
  let squares = 0;
  const { embedding } = item;
  for (let index = 0; index < embedding.length; index++) {
    const value = embedding[index] as number;
    if (value !== 0) {
      indices.push(index);
      values.push(value);
      squares += value * value;
    }
  }
  return {
    item,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
    norm: Math.sqrt(squares) || 1,
  };
}

/** Cosine of two sparse vectors whose indices are ascending. */
function cosine(a: Prepared, b: Prepared): number {
  let dot = 0;
  let i = 0;
  let j = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const left = a.indices[i] as number;
    const right = b.indices[j] as number;
    if (left === right) dot += (a.values[i++] as number) * (b.values[j++] as number);
    else if (left < right) i++;
    else j++;
  }
  return dot / (a.norm * b.norm);
}

export function questionSimilarity(a: QuestionItem, b: QuestionItem): number {
  return cosine(prepare(a), prepare(b));
}

/**
 * Most asked first, each question joins the group holding its most similar member when that pair
 * reaches the threshold (single link, so a chain of paraphrases stays one group), else starts
 * one; on equal similarity the older group wins. Groups come back largest (by asks) first,
 * members most asked first.
 *
 * The similarities to all earlier questions are summed at once through an inverted index (each
 * component's earlier questions), not pair by pair: the same products in the same order, so the
 * same cosines to the bit, for a fraction of the time (900 questions: ~0.4 s pairwise on the
 * bench machine under load).
 */
export function clusterQuestions(
  items: readonly QuestionItem[],
  threshold: number,
): QuestionItem[][] {
  const ordered = [...items].sort((a, b) => b.count - a.count || a.text.localeCompare(b.text));
  const groups: Prepared[][] = [];
  /** Per component: the earlier questions (by position in `ordered`) and their values there. */
  const postings = new Map<number, { members: number[]; values: number[] }>();
  const prepared: Prepared[] = [];
  const groupOf = new Int32Array(ordered.length);
  const dots = new Float64Array(ordered.length);
  const touched: number[] = [];
  ordered.forEach((item, position) => {
    const current = prepare(item);
    for (let k = 0; k < current.indices.length; k++) {
      const posting = postings.get(current.indices[k] as number);
      if (!posting) continue;
      const value = current.values[k] as number;
      for (let m = 0; m < posting.members.length; m++) {
        const member = posting.members[m] as number;
        if (dots[member] === 0) touched.push(member);
        dots[member] = (dots[member] as number) + value * (posting.values[m] as number);
      }
    }
    let bestGroup = -1;
    let bestScore = 0;
    for (const member of touched) {
      const similarity =
        (dots[member] as number) / (current.norm * (prepared[member] as Prepared).norm);
      const group = groupOf[member] as number;
      if (
        similarity >= threshold &&
        (similarity > bestScore || (similarity === bestScore && group < bestGroup))
      ) {
        bestGroup = group;
        bestScore = similarity;
      }
      dots[member] = 0;
    }
    touched.length = 0;
    if (bestGroup >= 0) (groups[bestGroup] as Prepared[]).push(current);
    else {
      bestGroup = groups.length;
      groups.push([current]);
    }
    groupOf[position] = bestGroup;
    prepared.push(current);
    for (let k = 0; k < current.indices.length; k++) {
      const index = current.indices[k] as number;
      const posting = postings.get(index) ?? { members: [], values: [] };
      posting.members.push(position);
      posting.values.push(current.values[k] as number);
      postings.set(index, posting);
    }
  });
  const total = (group: Prepared[]) => group.reduce((sum, member) => sum + member.item.count, 0);
  return groups.sort((a, b) => total(b) - total(a)).map((group) => group.map((p) => p.item));
}
