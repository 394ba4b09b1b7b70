// What type of value a question asks for (a phone number, a price, a duration…) and whether a text holds one.
import { unescapeMarkdown } from "../ingestion/chunk-markdown";

/**
 * The value a question's wording asks for. The first six are "slots" with a shape of their own
 * (`STRICT_ANSWER_TYPES`): a passage without such a value cannot answer, whatever else it shares
 * with the question ("the phone number of the Dublin office" is not answered by its hours).
 */
export type AnswerType =
  | "phone"
  | "email"
  | "url"
  | "money"
  | "version"
  | "percent"
  | "duration"
  | "count"
  | "quantity"
  | "time"
  | "person"
  | "place"
  | "steps";

/** Types whose values have a shape no other text has: their absence means "not in the passage". */
export const STRICT_ANSWER_TYPES: ReadonlySet<AnswerType> = new Set([
  "phone",
  "email",
  "url",
  "money",
  "version",
  "percent",
]);

const TIME_UNIT =
  "(?:milli)?seconds?|secs?|ms|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|quarters?|years?|yrs?|business days?|working days?|working hours?|business hours?";
/** "30s", "24h", "7d": a unit letter only right after a number ("as", "and", "c5d" are none). */
const UNIT_LETTER = "[smhd]";
const NUMBER_WORD =
  "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|thousand|a|an|a few|several|half an?";

// Question wording → type, most specific first: "how much does it cost" is money before quantity.
const QUESTION_TYPES: readonly [AnswerType, RegExp][] = [
  [
    "steps",
    /\bhow (?:do|can|should|would|could|to) (?:i|we|you|one)?\b|\bwhat (?:are the )?steps\b|\b(?:what|which) command\b|\bwhat (?:do|should|must|can) (?:i|we|you) do\b/i,
  ],
  [
    "phone",
    /\b(?:tele)?phone (?:number|line)s?\b|\bfax(?: number)?\b|\bnumber (?:to|do i|should i) (?:call|dial)\b/i,
  ],
  ["email", /\be-?mail address(?:es)?\b|\b(?:what|which)(?:'s| is| are)?(?: the| our)? e-?mail\b/i],
  ["url", /\b(?:url|web ?site|web address|web page|homepage|link to)\b/i],
  [
    "version",
    /\b(?:what|which)\b[^?]*?\bversions?\b(?! control)|\bversions? (?:of|does|do|is|are)\b[^?]*\?/i,
  ],
  [
    "duration",
    /\bhow (?:long|soon|fast|quickly|early|late|often|frequently)\b|\bhow much (?:(?:paid|unpaid|advance|extra) )?(?:time|notice|warning|heads[- ]up|lead time)\b|\bhow much (?:[\w-]+ )?(?:leave|time off|holiday|vacation)\b(?! pay\b| money\b)|\bhow many (?:(?:business|working|calendar) )?(?:seconds|minutes|hours|days|nights|weeks|months|years)\b|\b(?:duration|retention period|timeout|time limit|deadline)\b/i,
  ],
  // "what percentage of salary" asks for a share, not a sum of money; so does "what % …", while a
  // share the question states ("if the team hits 92%") is no question word.
  ["percent", /\bpercent(?:age)?\b|\b(?:what|which|how much)\s?%/i],
  ["quantity", /\bratio\b|\bhow many times\b/i],
  // "when is the fee charged" asks for a time, not the fee.
  ["time", /^(?:[^?]*[.!]\s+)?when (?:is|are|do|does|did|will|should|can|was|were)\b/i],
  [
    "money",
    /\b(?:price|prices|pricing|priced|cost|costs|charge|charged|charges|fee|fees|stipend|salary|salaries|bonus|per[- ]diem)\b|\bhow much\b[^?]*\b(?:pay|paid|spend|earn|reimburs\w*|charge|get)\b/i,
  ],
  ["count", /\bhow many\b|\b(?:number|count) of\b/i],
  [
    "quantity",
    /\bhow (?:much|big|large|far|old)\b|\b(?:percentage|percent|amount|size|rate|limit|maximum|minimum|max|min|cap|quota|budget|allowance|discount|threshold)\b/i,
  ],
  [
    "time",
    /\bwhen\b|\b(?:what|which)(?:'s| is| are| was| were)?(?: the)? (?:days?|dates?|time|year|month|hour|week(?:day)?)\b/i,
  ],
  ["person", /\bwho(?:m|se)?\b|\bwhich (?:team|person|people|group|role)\b/i],
  ["place", /\bwhere\b/i],
];

// "How long", "how soon", "how fast": the adverb asks for the value (the answer type stands for it),
// it names no subject, and documents state the value without it ("within 30 minutes"). So does
// the verb of a question opening "What happens …": it asks for a consequence, and the answer
// states it ("a missed page goes to the secondary") without the word.
const FORM_WORDS =
  /\bhow (long|soon|fast|quickly|early|late|far|big|large|old|often|frequently|much|many)\b|(?:^|[.!?]\s+)what (?:will |would )?(happens?|happened)\b/gi;

/** Words of the question that only say what kind of value or answer is asked ("fast" in "how fast"). */
export function questionFormWords(question: string): string[] {
  return [...question.matchAll(FORM_WORDS)].flatMap((match) => {
    const word = match[1] ?? match[2];
    return word ? [word] : [];
  });
}

const OPENING_WORD = /^(?:[^?]*[.!]\s+)?(where|who|whom|whose)\b/i;

/** The type of value the question asks for, when its wording says. */
export function answerType(question: string): AnswerType | undefined {
  // The question word that opens the question says what it asks, whatever a later clause adds:
  // "Where do I file it when a bug needs a fix?" asks for a place, not a time.
  const opening = OPENING_WORD.exec(question)?.[1]?.toLowerCase();
  if (opening === "where") return "place";
  if (opening?.startsWith("who")) return "person";
  return QUESTION_TYPES.find(([, pattern]) => pattern.test(question))?.[0];
}

const DIGIT_OR_WORD_NUMBER = new RegExp(
  `\\d|\\b(?:${NUMBER_WORD.replace(/\|a\|an\|a few\|several\|half an\?/, "")}|once|twice|half|dozen|unlimited|no limit|daily|weekly|monthly|quarterly|annually|yearly|hourly)\\b`,
  "i",
);

const WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday";
const MONTHS =
  "january|february|march|april|may|june|july|august|september|october|november|december";
/**
 * Months, weekdays and the holidays that fall on dates: words that name a time, capitalised or
 * not ("a week off in July" is no question about July).
 */
export const CALENDAR_WORD = new RegExp(`^(?:${MONTHS}|${WEEKDAYS}|christmas|easter)$`, "i");

// Value shapes: what a text holding the answer contains.
const VALUE_SHAPES: Record<AnswerType, RegExp> = {
  // Seven or more digits in one run of digits, spaces, dots, dashes and brackets: "+353 1 555 0100".
  phone: /(?:\+|\b)\d(?:[\s().-]*\d){6,}\b/,
  email: /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/,
  url: /\bhttps?:\/\/\S+|\bwww\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|dev|app|co|aws|ie|uk)\b(?:\/\S*)?/i,
  // A currency sign or code by a number, or a stated absence of charge.
  money:
    /[$€£¥₹]\s?\d|\d\s?(?:usd|eur|gbp|cad|aud|jpy|dollars?|euros?|pounds?|cents?)\b|\b(?:usd|eur|gbp|cad|aud|jpy)\s?\d|\bfree of charge\b|\bno (?:additional |extra )?(?:charge|cost|fee)\b|\bat no (?:additional |extra )?(?:charge|cost)\b|\bfree\b/i,
  // "1.29", "v2", "version 3", "TLS 1.2".
  version: /\bv?\d+(?:\.\d+)+\b|\bv\d+\b|\bversions? \d+/i,
  duration: new RegExp(
    `(?<![\\p{L}\\d.])\\d+(?:[.,]\\d+)?(?:[\\s-]*(?:to|-|–|or)[\\s-]*\\d+(?:[.,]\\d+)?)?(?:[\\s-]*(?:${TIME_UNIT})|${UNIT_LETTER})\\b|\\b(?:${NUMBER_WORD})(?:[\\s-]+(?:to|or)[\\s-]+(?:${NUMBER_WORD}|\\d+))?[\\s-]+(?:${TIME_UNIT})\\b|\\b(?:immediately|same day|next (?:business |working )?day|overnight|right away|indefinitely|forever|permanently|instantly|in real time)\\b|\\b\\d{1,2}:\\d{2}\\b`,
    "iu",
  ),
  count: DIGIT_OR_WORD_NUMBER,
  quantity: DIGIT_OR_WORD_NUMBER,
  percent: /\d\s?%|\bper ?cent\b/i,
  // A clock time, a date, an ordinal day or a year, not any number ("a $600 stipend" is no time).
  time: new RegExp(
    `\\b\\d{1,2}[:.]\\d{2}\\b|\\b\\d{1,2}(?:st|nd|rd|th)\\b|\\b(?:19|20)\\d{2}\\b|\\b\\d{4}-\\d{2}-\\d{2}\\b|\\b\\d+\\s*(?:a\\.?m\\.?|p\\.?m\\.?)|\\b(?:${WEEKDAYS}|weekday|weekend|${MONTHS}|daily|weekly|monthly|quarterly|annually|yearly|every|each|before|after|until|within|during|morning|afternoon|evening|night|noon|midnight|today|tomorrow|immediately|end of|start of|first|last)\\b`,
    "i",
  ),
  person:
    /\b(?:team|manager|lead|head|owner|engineer|officer|department|director|vp|ceo|cto|cfo|ops|group|committee|admin(?:istrator)?|staff|person|people|partner|buddy|member|support|finance|legal|security|hr|user|customer|account|role|principal)s?\b|\s\p{Lu}\p{Ll}+/iu,
  place:
    /#[\w-]+|https?:\/\/|[\w-]+\/[\w-]+|\b(?:in|at|on|from|under|via|to) (?:the |your |our )?\p{Lu}|\b(?:folder|channel|page|repo(?:sitory)?|drive|site|office|directory|bucket|dashboard|console|portal|tab|menu|settings|region|file|pane|section|project|board|queue)\b/u,
  steps: /`|\b(?:run|click|choose|select|open|use|go to|enter|type|call|create|add|set)\b/i,
};

/** Whether the text holds a value of the type (any text does when no type is asked for). */
export function holdsAnswerType(text: string, type: AnswerType | undefined): boolean {
  return type === undefined || VALUE_SHAPES[type].test(unescapeMarkdown(text));
}

// "What is the <focus> of …": the phrase between the question word and the first preposition or verb.
const FOCUS =
  /\b(?:what|which)(?:'s| is| are| was| were)? (?:the |an? )?((?:[\w-]+ ){0,3}?[\w-]+?)(?= (?:of|for|in|on|at|to|from|with|by|that|which|do|does|did|is|are|was|were|can|could|should|will|would|used|per|i|you|we|they|someone|somebody|anyone|anybody|everyone|everybody)\b|\?)/i;
/** Heads that name a kind of value, not a subject: the answer type already stands for them. */
export const GENERIC_HEADS: ReadonlySet<string> = new Set(
  [
    // kinds of value
    "number numbers name names type types kind kinds value values amount maximum minimum max min",
    "size limit count total price cost fee rate percentage version versions date dates day time",
    "deadline deadlines",
    // measures: the answer states the measure, seldom its name
    "length duration period notice width height weight capacity speed frequency",
    // descriptive aspects: the answer describes them without naming them
    "benefits benefit advantages advantage difference differences reason reasons purpose use uses",
    "way ways thing things one ones do can",
    // a procedure is its steps, and "what happens" asks for a consequence: neither is named
    "process processes procedure procedures happen happens happened",
  ]
    .join(" ")
    .split(" "),
);

/**
 * The head word of the thing a "what/which is the X of …" question asks about ("vesting schedule"
 * → "schedule"), unless it only names a kind of value ("maximum number", "price").
 */
export function questionFocus(question: string): string | undefined {
  const phrase = FOCUS.exec(question)?.[1];
  const head = phrase?.split(" ").at(-1)?.toLowerCase();
  return head && !GENERIC_HEADS.has(head) ? head : undefined;
}

// The thing a question asks about when it is the grammatical subject: "When do my stock options
// vest?", "How does the billing retry work?", or the object whose existence is asked: "Is there a
// dress code …", "Do we get a gym allowance …", "Does Fernhill sponsor work visas …". A personal
// subject ("How do I …", "Can we …") names no thing, so it has none.
const AUXILIARY = "do|does|did|is|are|was|were|will|can|could|should|would|has|have";
const PERSON = "i|we|you|they|it|he|she|there|this|that|these|those|anyone|someone|somebody";
const DETERMINER = "(?:(?:my|our|your|their|the|a|an|any|some)\\s+)?";
const PHRASE_END =
  "(?=\\s+(?:of|for|in|on|at|to|from|with|by|that|which|when|while|if|before|after|during|towards?|or|and|so|than|per|as)\\b|\\s*[?,.!]|\\s*$)";
const PHRASE = "((?:[\\w'-]+\\s+){0,3}?[\\w'-]+?)";
const WHEN_HOW_SUBJECT = new RegExp(
  `^(?:[^?]*[.!]\\s+)?(?:when|how|why)\\s+(?:${AUXILIARY})\\s+(?!(?:${PERSON})\\b)${DETERMINER}${PHRASE}${PHRASE_END}`,
  "i",
);
// Questions that ask whether a thing exists or is given: "Is there a dress code …", "Do all
// employees get stock options?", "Does Fernhill sponsor …". Only a passage naming the thing answers.
const EXISTENCE_PATTERNS: readonly RegExp[] = [
  new RegExp(`\\b(?:is|are)\\s+there\\s+${DETERMINER}${PHRASE}${PHRASE_END}`, "i"),
  // A yes/no question opening with the verb: "Do we get a …", "Does Fernhill sponsor …".
  new RegExp(
    `^(?:[^?]*[.!]\\s+)?(?:[Dd]o|[Dd]oes|[Cc]an|[Ww]ill)\\s+(?:I|[Ww]e|[Yy]ou|(?:(?:all|every|most|new|full-time|part-time)\\s+)?(?:[Ee]mployees|[Ss]taff|[Cc]ontractors|[Ii]nterns)|\\p{Lu}[\\w-]*|(?:the|our|my|your)\\s+[\\w-]+)\\s+(?:get|have(?!\\s+to\\b)|offer|sponsor|provide|give|cover|reimburse)\\s+${DETERMINER}${PHRASE}${PHRASE_END}`,
    "u",
  ),
];
const SUBJECT_PATTERNS: readonly RegExp[] = [
  WHEN_HOW_SUBJECT,
  ...EXISTENCE_PATTERNS,
  // "What is the rate limit for the GraphQL API?": the thing whose value is asked.
  new RegExp(
    `\\b(?:what|which)(?:'s|\\s+is|\\s+are|\\s+was|\\s+were)?\\s+(?:the\\s+|an?\\s+)?(?:[\\w-]+\\s+){0,3}?[\\w-]+\\s+(?:of|for)\\s+${DETERMINER}${PHRASE}${PHRASE_END}`,
    "i",
  ),
];

// Words that say how much or which of a thing, not what it is: "any extra pay" asks about pay,
// and a section on "bilingual pay" answers it without the word "extra". Nor is an indefinite
// pronoun a thing ("Do we get paid anything?").
const AMOUNT_MODIFIERS = new Set([
  "anything",
  "something",
  "everything",
  "extra",
  "additional",
  "more",
  "other",
  "special",
  "separate",
  "kind",
  "sort",
  "type",
]);

/** The words of the thing whose existence a yes/no question asks ("a dress code"), if it does. */
export function existenceSubject(question: string): string[] {
  for (const pattern of EXISTENCE_PATTERNS) {
    const phrase = pattern.exec(question)?.[1];
    if (phrase)
      return phrase.split(/\s+/).filter((word) => !AMOUNT_MODIFIERS.has(word.toLowerCase()));
  }
  return [];
}

/** The words of the phrase a question is about, when its form says (see above). */
export function questionSubject(question: string): string[] {
  for (const pattern of SUBJECT_PATTERNS) {
    const phrase = pattern.exec(question)?.[1];
    if (phrase) return phrase.split(/\s+/);
  }
  return [];
}
