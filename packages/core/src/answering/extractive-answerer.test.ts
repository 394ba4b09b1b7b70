import { describe, expect, it } from "vitest";
import type { RetrievedChunk } from "../retrieval/hybrid-search";
import {
  DEFAULT_EVIDENCE_THRESHOLD,
  DEFAULT_MODEL_EVIDENCE_THRESHOLD,
  isTooWeak,
  retrievalEvidence,
} from "./evidence";
import { extractiveAnswer } from "./extractive-answerer";
import { textTermStatistics } from "./term-statistics";

function chunk(source: string, heading: string, startLine: number, text: string): RetrievedChunk {
  return {
    chunkId: `chk_${source}_${startLine}`,
    documentId: `doc_${source}`,
    source,
    title: heading.split(" > ")[0] ?? "",
    heading,
    startLine,
    endLine: startLine + text.split("\n").length - 1,
    text,
    score: 0.03,
    similarity: 0.4,
    textRank: 1,
  };
}

// Two short sections packed into one chunk, as the chunker does.
const PACKED = chunk(
  "deploy.md",
  "Deploy Guide",
  10,
  [
    "## Canary releases",
    "",
    "A canary rollout aborts when its p95 latency is above 800 ms.",
    "",
    "## Reporting",
    "",
    "The reporting-service exports dashboards every night.",
  ].join("\n"),
);

describe("extractiveAnswer", () => {
  it("reads a heading that spells out the question's acronym as naming it", () => {
    // "Requesting PTO" names the acronym; "Paid time off" spells it out and states the number.
    const allowance = chunk(
      "leave.md",
      "Holidays and Leave > Paid time off",
      5,
      "## Paid time off\n\nFull-time employees get 25 days of PTO per calendar year.",
    );
    const requesting = chunk(
      "leave.md",
      "Holidays and Leave > Paid time off > Requesting PTO",
      9,
      "### Requesting PTO\n\nRequest PTO in BambooHR.\n\n| Absence | Notice |\n| --- | --- |\n| 1 to 2 days | 2 days |",
    );
    const draft = extractiveAnswer("How many PTO days do I get?", [allowance, requesting]);
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("25 days of PTO per calendar year");
    expect(draft.citations[0]).toMatchObject({ startLine: 7 });
  });

  it("quotes a packed chunk's sentence with its own line and section", () => {
    const draft = extractiveAnswer("When does a canary rollout abort?", [PACKED]);
    expect(draft.abstained).toBe(false);
    expect(draft.citations[0]).toMatchObject({
      startLine: 12,
      endLine: 12,
      source: "deploy.md",
      heading: "Deploy Guide > Canary releases",
    });
    expect(draft.answer).toContain("p95 latency is above 800 ms");
  });

  it("does not lend a section the words of another section packed in the same chunk", () => {
    // Canary and latency are in one section, dashboards only in the other.
    const evidence = retrievalEvidence("Which dashboards show canary latency?", [PACKED]);
    const canary = evidence.passages.find((entry) =>
      entry.passage.heading.endsWith("Canary releases"),
    );
    expect(canary?.passage.terms.has("dashboard")).toBe(false);
    expect(canary?.passage.terms.has("latency")).toBe(true);
  });

  it("abstains when a name asked about is in no retrieved document", () => {
    const perDiem = chunk(
      "expenses.md",
      "Expenses > Meals",
      40,
      "The daily meal per-diem for business travel is $75 in the United States.",
    );
    const question = "What is the daily meal per-diem for business travel to Japan?";
    const draft = extractiveAnswer(question, [perDiem], { statistics: statistics() });
    expect(draft.abstained).toBe(true);
    // A month or a holiday is capitalised but names a time, not a place the documents must mention.
    for (const when of ["in the United States", "in August", "during Christmas"]) {
      const asked = `What is the daily meal per-diem for business travel ${when}?`;
      expect(extractiveAnswer(asked, [perDiem], { statistics: statistics() }).abstained).toBe(
        false,
      );
    }
  });

  it("answers a paraphrased question from the section its heading names", () => {
    const draft = extractiveAnswer(
      "My work laptop got nicked at a cafe. How fast must I report it?",
      [HANDBOOK.laptops, HANDBOOK.perks, HANDBOOK.leave],
      { statistics: statistics() },
    );
    expect(draft.abstained).toBe(false);
    expect(draft.citations[0]?.heading).toBe("Security > Lost or stolen devices");
    expect(draft.answer).toContain("within 30 minutes");
  });

  it("quotes the sentence with the number for a how-many question", () => {
    const draft = extractiveAnswer(
      "How many weeks of leave does a new dad get?",
      [HANDBOOK.leave, HANDBOOK.perks],
      { statistics: statistics() },
    );
    expect(draft.abstained).toBe(false);
    // Both sentences name the leave; only one says how long it is.
    expect(draft.answer).toContain("12 weeks");
    expect(draft.citations[0]?.snippet).toContain("12 weeks");
  });

  it("reads an acronym the documents never use as the user's abbreviation, one they use as a name", () => {
    const review = chunk(
      "engineering/code-review.md",
      "Code Review > Approvals",
      12,
      "A pull request that touches the payments code needs two approvals before it merges.",
    );
    const stats = textTermStatistics([
      `${review.heading}\n${review.text}`,
      "Deploys: every merge to main is deployed by the CI pipeline.",
      "Payments: the payments team owns the billing service.",
      // A name in more than 5 % of chunks is the corpus's own subject; this one is not.
      ...Array.from(
        { length: 20 },
        (_, index) => `Office note ${index}: the kitchen closes at six.`,
      ),
    ]);
    const draft = extractiveAnswer(
      "How many approvals does my PR need if it touches the payments code?",
      [review],
      { statistics: stats },
    );
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("two approvals");
    // "CI" is the collection's own word: a question about it must find it in the answer's document.
    const named = extractiveAnswer(
      "How many approvals does a CI change need if it touches the payments code?",
      [review],
      { statistics: stats },
    );
    expect(named.abstained).toBe(true);
  });

  it("finds a name the documents write only inside a longer word (Mac in macOS)", () => {
    const updates = chunk(
      "security.md",
      "Security > Laptops",
      50,
      "macOS security updates are installed within 14 days of release.",
    );
    const question = "How quickly do I have to install Mac security patches?";
    const draft = extractiveAnswer(question, [updates], { statistics: statistics() });
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("within 14 days");
    // A name the documents do not hold, even inside a word, is still missing.
    const linux = "How quickly do I have to install Linux security patches?";
    expect(extractiveAnswer(linux, [updates], { statistics: statistics() }).abstained).toBe(true);
  });

  it("does not require hyphenated or CamelCase words as names", () => {
    const draft = extractiveAnswer(
      "Is there a wrap-up at the end of the MacBook return process?",
      [HANDBOOK.returns],
      { statistics: statistics() },
    );
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("Friday");
  });

  it("abstains on a near miss: the GraphQL API's rate limit when only the REST API's is documented", () => {
    // The reference mentions GraphQL elsewhere, but no retrieved passage does.
    // An API reference: every page says API, most mention a rate limit.
    const reference = textTermStatistics([
      `${HANDBOOK.api.heading}\n${HANDBOOK.api.text}`,
      "API keys: create an API key in Settings; each key has its own rate limit.",
      "API pagination: list endpoints are not rate limited but return 100 items at most.",
      "API errors: the API answers 429 when a rate limit is reached.",
      "API uploads: uploads count against the rate limit of the key.",
      "API authentication: send the key in the Authorization header.",
      "API webhooks: the API retries a failed delivery five times.",
      "API versions: the API version is set with a header.",
      "Roadmap: a GraphQL endpoint is planned.",
    ]);
    const question = "What is the rate limit of the GraphQL API?";
    // Rate, limit and API are all in the section; GraphQL is only on the roadmap page.
    const draft = extractiveAnswer(question, [HANDBOOK.api], { statistics: reference });
    expect(draft.abstained).toBe(true);
    const answered = extractiveAnswer("What is the rate limit of the REST API?", [HANDBOOK.api], {
      statistics: reference,
    });
    expect(answered.abstained).toBe(false);
    expect(answered.answer).toContain("100 requests per minute");
  });

  it("does not match a different word with the same Porter stem (deductible is not deduction)", () => {
    const deduction = chunk(
      "payroll.md",
      "Payroll > Deductions",
      12,
      "A deduction for the pension scheme is taken from each monthly payslip.",
    );
    // Porter stems both to "deduct", which made the deduction sentence look like an answer.
    const draft = extractiveAnswer("How much is the deductible?", [deduction], {
      statistics: statistics(),
    });
    expect(draft.abstained).toBe(true);
    const asked = extractiveAnswer("How much is the pension deduction?", [deduction], {
      statistics: statistics(),
    });
    expect(asked.abstained).toBe(false);
  });

  it("abstains on a near miss that lacks the value asked for: a phone number, not the hours", () => {
    const hours = chunk(
      "offices.md",
      "Offices > Dublin",
      3,
      "The Dublin office is at 1 Grand Canal Square. The Dublin office is open 07:00 to 20:00 on working days.",
    );
    const stats = officeStatistics(hours);
    const question = "What is the phone number of the Dublin office?";
    expect(retrievalEvidence(question, [hours], stats).missingValue).toBe("phone");
    expect(extractiveAnswer(question, [hours], { statistics: stats }).abstained).toBe(true);

    const withPhone = chunk(
      "offices.md",
      "Offices > Dublin",
      3,
      "The Dublin office is at 1 Grand Canal Square. Call the Dublin office on +353 1 555 0100.",
    );
    const answered = extractiveAnswer(question, [withPhone], {
      statistics: officeStatistics(withPhone),
    });
    expect(answered.abstained).toBe(false);
    expect(answered.answer).toContain("+353 1 555 0100");
  });

  it("abstains when no passage names the thing asked about, only its subject", () => {
    const offers = chunk(
      "hiring.md",
      "Hiring > Offers",
      12,
      "Every offer includes equity; the grant size for employee equity grants comes from the equity table for the level.",
    );
    const question = "What is the vesting schedule for employee equity grants?";
    // "schedule" is a word of the collection (the on-call schedule), so its absence here counts.
    const stats = officeStatistics(offers);
    const evidence = retrievalEvidence(question, [offers], stats);
    expect(evidence.missingFocus).toBe("schedul");
    expect(extractiveAnswer(question, [offers], { evidence }).abstained).toBe(true);

    const vesting = chunk(
      "hiring.md",
      "Hiring > Equity",
      20,
      "Employee equity grants vest over four years on a monthly schedule after a one-year cliff.",
    );
    const answered = extractiveAnswer(question, [offers, vesting], {
      statistics: officeStatistics(offers, vesting),
    });
    expect(answered.abstained).toBe(false);
    expect(answered.citations[0]?.heading).toBe("Hiring > Equity");
  });

  it("abstains on a question unrelated to every retrieved chunk", () => {
    const draft = extractiveAnswer(
      "What is the airspeed velocity of an unladen swallow?",
      [HANDBOOK.leave, HANDBOOK.laptops],
      { statistics: statistics() },
    );
    expect(draft).toMatchObject({ abstained: true, citations: [] });
  });
});

// A small handbook: the collection the statistics are counted over.
const HANDBOOK = {
  laptops: chunk(
    "security.md",
    "Security",
    20,
    [
      "## Lost or stolen devices",
      "",
      "Report a lost or stolen laptop, phone or security key to the Security team within 30 minutes of noticing.",
      "The Security team will lock and remotely wipe the device.",
    ].join("\n"),
  ),
  leave: chunk(
    "leave.md",
    "Leave > Parental leave",
    50,
    [
      "Parental leave is fully paid for every parent.",
      "Non-birthing parents get 12 weeks of fully paid leave.",
    ].join("\n"),
  ),
  perks: chunk(
    "perks.md",
    "Perks > Insurance",
    5,
    "Dental insurance is provided through Laya for everyone on the payroll.",
  ),
  api: chunk(
    "api.md",
    "API > Rate limits",
    30,
    "The REST API allows 100 requests per minute per API key. Requests over the limit get HTTP 429.",
  ),
  returns: chunk(
    "it.md",
    "IT > Returning equipment",
    70,
    "When you leave, return your laptop to IT. A wrap up call with IT happens on your last Friday.",
  ),
};

function statistics() {
  const texts = [...Object.values(HANDBOOK), PACKED].map(
    (entry) => `${entry.title}\n${entry.heading}\n${entry.text}`,
  );
  return textTermStatistics([
    ...texts,
    "The sprint review is on Tuesdays.",
    "Expenses: the daily meal per-diem for business travel is $75 in the United States.",
    "Payroll deductions are listed on your payslip.",
  ]);
}

/** A collection of office, hiring and on-call pages around the given chunks. */
function officeStatistics(...chunks: RetrievedChunk[]) {
  return textTermStatistics([
    ...chunks.map((entry) => `${entry.title}\n${entry.heading}\n${entry.text}`),
    "The on-call schedule rotates every Monday at 10:00.",
    "The Portland office is open 07:00 to 19:00.",
    "Phone support is for Enterprise customers only.",
    "Offices are closed on public holidays.",
    "Equity refreshers are reviewed once a year.",
    "Sick days do not carry over.",
  ]);
}

describe("abstention from the question's rare vocabulary (issue 12)", () => {
  const hires = {
    ...chunk(
      "onboarding.md",
      "Onboarding > New hires",
      5,
      "Every new hire at Fernhill gets a laptop and an onboarding buddy in their first week.",
    ),
    // Not the nearest vector as well: no agreement bonus, the coverage alone decides.
    textRank: 2,
  };
  const collection = [
    `${hires.title}\n${hires.heading}\n${hires.text}`,
    "The Fernhill office is in Portland.",
    "Fernhill pays on the 25th.",
    "New laptops are refreshed every three years.",
    "The sprint review is on Tuesdays.",
    "Payroll deductions are listed on your payslip.",
    "Expense reports are due monthly.",
    "A buddy answers questions in the first week.",
    "New hires meet the CEO.",
    "Each new hire signs the handbook at Fernhill.",
  ];
  const question = "Does Fernhill sponsor visas for new hires?";

  it("abstains when words the documents use elsewhere are in none of the retrieved chunks", () => {
    // The documents speak of visas and sponsoring, but not for new hires: a near miss.
    const statistics = textTermStatistics([
      ...collection,
      "Visa fees for conference travel are not reimbursed.",
      "We sponsor two local meetups a year.",
    ]);
    const evidence = retrievalEvidence(question, [hires], statistics);
    expect(evidence.coverage).toBeGreaterThanOrEqual(0.3);
    expect(evidence.coverage).toBeLessThan(0.7);
    expect(evidence.unretrievedShare).toBeGreaterThan(0.3);
    expect(extractiveAnswer(question, [hires], { statistics }).abstained).toBe(true);
  });

  // A one-chunk collection beside other texts, counted as the collection's statistics are.
  const withOthers = (retrieved: RetrievedChunk, others: string[]) =>
    textTermStatistics([`${retrieved.title}\n${retrieved.heading}\n${retrieved.text}`, ...others]);

  it("does not weigh a clock time the question states as a word to find", () => {
    const outOfHours = chunk(
      "hours.md",
      "Opening Hours > Out of hours",
      8,
      "Out of hours, give clients the emergency line: 0800 555 0199.",
    );
    const statistics = withOthers(outOfHours, ["Clients pay at the time of treatment."]);
    const asked = "A client rang at 11pm, what number do I give them?";
    expect([...retrievalEvidence(asked, [outOfHours], statistics).question.weights.keys()]).toEqual(
      ["client", "rang", "number", "giv"],
    );
  });

  it("does not count a quantity word as a missing subject ('several nights')", () => {
    const stayover = chunk(
      "rooms.md",
      "Room Standards > Stayover service",
      3,
      "Sheets are changed every third night for stayover guests.",
    );
    const statistics = withOthers(stayover, [
      "Several extinguishers hang in each corridor.",
      "Rooms are inspected daily.",
    ]);
    const asked = "How often do we change the sheets for guests staying several nights?";
    expect(retrievalEvidence(asked, [stayover], statistics).unretrievedShare).toBe(0);
    expect(extractiveAnswer(asked, [stayover], { statistics }).abstained).toBe(false);
  });

  it("answers when the missing words are ones the documents never use (a paraphrase)", () => {
    const statistics = textTermStatistics(collection);
    expect(retrievalEvidence(question, [hires], statistics).unretrievedShare).toBe(0);
    expect(extractiveAnswer(question, [hires], { statistics }).abstained).toBe(false);
  });
});

describe("choosing the section and the sentences (issue 12)", () => {
  it("prefers, among equally covering sections, the one whose heading names the question", () => {
    const settings = chunk(
      "create-instance.md",
      "Creating an instance > Settings",
      10,
      "Storage type: choose the RDS storage type for the instance.",
    );
    const storage = {
      ...chunk(
        "storage.md",
        "RDS storage > Storage types",
        3,
        "General Purpose SSD, Provisioned IOPS and Magnetic are the storage types RDS offers.",
      ),
      textRank: 2,
    };
    const draft = extractiveAnswer("What are the RDS storage types?", [settings, storage]);
    expect(draft.abstained).toBe(false);
    expect(draft.citations[0]?.source).toBe("storage.md");
  });

  it("quotes the neighbouring sentence that holds the value asked for", () => {
    const office = chunk(
      "onboarding.md",
      "Onboarding > Home office",
      57,
      [
        "Remote employees can claim a one-time home office stipend of $600 for a chair or desk.",
        "Submit the receipts through Ramp within your first 60 days; after that the stipend lapses.",
      ].join(" "),
    );
    const draft = extractiveAnswer("Until when can I claim the home office money?", [office]);
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("within your first 60 days");
  });

  it("does not weigh the adverb of 'how fast' as a subject the passage must name", () => {
    const evidence = retrievalEvidence(
      "How fast do I report a stolen laptop?",
      [HANDBOOK.laptops],
      statistics(),
    );
    expect(evidence.question.terms).not.toContain("fast");
  });
});

describe("extractiveAnswer: the subject and the reply", () => {
  const benefits = chunk(
    "benefits.md",
    "Benefits > Retirement",
    5,
    "The 401(k) plan offers twelve investment options. Company matching contributions vest after two years of service.",
  );
  const others = [
    "Benefits > Health: medical, dental and vision plans start on day one.",
    "Expenses > Receipts: keep receipts for every purchase over $25.",
    "Leave > Vacation: employees get 25 days of paid vacation per year.",
    "Equipment > Laptops: every employee gets a laptop with a code signing key.",
  ];
  const stats = textTermStatistics([`${benefits.heading}\n${benefits.text}`, ...others]);

  it("abstains when the subject names a kind of thing the documents never mention", () => {
    // "options" and "vest" are in the 401(k) section; "stock" is in no document: the documents
    // speak of investment options, never of stock options.
    const question = "When do my stock options vest?";
    const evidence = retrievalEvidence(question, [benefits], stats);
    expect(evidence.unmentionedSubject).toBe("stock");
    expect(extractiveAnswer(question, [benefits], { evidence }).abstained).toBe(true);
    expect(isTooWeak(evidence, DEFAULT_EVIDENCE_THRESHOLD)).toBe(true);
    // Before a model call it is no reason to skip: the model tells a synonym from another subject.
    expect(isTooWeak(evidence, DEFAULT_MODEL_EVIDENCE_THRESHOLD)).toBe(false);
  });

  it("abstains on an offer the documents never name, whoever the question says offers it", () => {
    // "childcare" is in no document; "support" and "offer" are ("Offers are prepared …").
    const offers = chunk(
      "hiring.md",
      "Hiring > Offers",
      20,
      "Offers are prepared by the Talent team and sent with the support of the hiring manager.",
    );
    const collection = textTermStatistics([`${offers.heading}\n${offers.text}`, ...others]);
    const question = "Does the company offer childcare support?";
    const evidence = retrievalEvidence(question, [offers], collection);
    expect(evidence.unmentionedSubject).toBe("childcar");
    expect(extractiveAnswer(question, [offers], { evidence }).abstained).toBe(true);
  });

  it("abstains when the subject is a product the documents never name, even alone", () => {
    // "version" names a kind of value; "GraphQL" is in no document, and users do not rephrase
    // a product's name: a page on the REST API's versions does not answer.
    const versions = chunk(
      "versioning.md",
      "API versioning > Current versions",
      12,
      "Version 2024-09-15 is the default for new accounts. Version 2024-03-01 is still supported.",
    );
    const collection = textTermStatistics([`${versions.heading}\n${versions.text}`, ...others]);
    const question = "Do you have a GraphQL version of the API?";
    const evidence = retrievalEvidence(question, [versions], collection);
    expect(evidence.unmentionedSubject).toBe("graphql");
    expect(extractiveAnswer(question, [versions], { evidence }).abstained).toBe(true);
  });

  it("abstains on a percentage when the passages hold numbers but none is a percentage", () => {
    const limits = chunk(
      "rate-limits.md",
      "Rate limits > Default limits",
      8,
      "Card payments: 50 requests per second per account. File uploads: 10 requests per second.",
    );
    const fees = chunk(
      "fees.md",
      "Fees > Card payments",
      3,
      "Each successful card payment costs 2.9% plus 30 cents per transaction.",
    );
    const collection = textTermStatistics([
      `${limits.heading}\n${limits.text}`,
      `${fees.heading}\n${fees.text}`,
      ...others,
    ]);
    const question = "What percentage do you take per card transaction?";
    const evidence = retrievalEvidence(question, [limits], collection);
    expect(evidence.missingValue).toBe("percent");
    expect(extractiveAnswer(question, [limits], { evidence }).abstained).toBe(true);
    // The passage that states one answers.
    const answered = extractiveAnswer(question, [limits, fees], { statistics: collection });
    expect(answered.abstained).toBe(false);
    expect(answered.answer).toContain("2.9%");
  });

  it("reads a number with a letter stuck to it as the documents write it (401k for 401(k))", () => {
    // The documents write "401(k)", counted as "401" and "k"; "401k" itself is in none of them.
    // `ask` counts the words the search looks for (`fullTextQuery`), the parts of "401k" among them.
    const question = "How does the 401k match work?";
    const counted = textTermStatistics([
      `${benefits.heading}\n${benefits.text}`,
      ...others,
      "Giving > Charity: Fernhill will match donations to registered charities.",
      "Remote work: everyone can work from home two days a week.",
    ]);
    const evidence = retrievalEvidence(question, [benefits], counted);
    expect(evidence.unmentionedSubject).toBeUndefined();
    expect(evidence.question.terms).toContain("401");
    const draft = extractiveAnswer(question, [benefits], { evidence });
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("matching contributions vest");
  });

  it("abstains when no passage names the whole thing a yes/no question asks about", () => {
    // "stock" is a word of the documents ("a stocked kitchen"), so the subject is not unmentioned,
    // but the passage read speaks of investment options, not of stock options.
    const kitchen = "Offices > Food: both offices have a stocked kitchen.";
    const collection = textTermStatistics([
      `${benefits.heading}\n${benefits.text}`,
      ...others,
      kitchen,
    ]);
    const question = "Do all employees get stock options?";
    const evidence = retrievalEvidence(question, [benefits], collection);
    expect(evidence.unmentionedSubject).toBeUndefined();
    expect(evidence.missingThing).toBe("stock");
    expect(extractiveAnswer(question, [benefits], { evidence }).abstained).toBe(true);
    // A model reading the passages tells a synonym from another thing: no reason to skip the call.
    expect(isTooWeak(evidence, DEFAULT_MODEL_EVIDENCE_THRESHOLD)).toBe(false);
    // The passage that names the thing answers.
    const grants = chunk(
      "equity.md",
      "Benefits > Equity",
      9,
      "All employees get stock options when they join, vesting over four years.",
    );
    const named = textTermStatistics([
      `${benefits.heading}\n${benefits.text}`,
      `${grants.heading}\n${grants.text}`,
      ...others,
      kitchen,
    ]);
    const draft = extractiveAnswer(question, [benefits, grants], { statistics: named });
    expect(draft.abstained).toBe(false);
    expect(draft.citations[0]?.source).toBe("equity.md");
  });

  it("answers when every word of the subject is one the documents use", () => {
    const draft = extractiveAnswer("When do matching contributions vest?", [benefits], {
      statistics: stats,
    });
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("vest after two years");
  });

  it("quotes the reply after a question quoted from the documents", () => {
    const faq = chunk(
      "offsite.md",
      "Offsite > Common questions",
      70,
      [
        '- "Where is the offsite this year?" In Lisbon, in the first week of June.',
        '- "Can contractors come to the offsite?" Only when their manager invites them.',
      ].join("\n"),
    );
    const draft = extractiveAnswer("Can contractors join the offsite?", [faq]);
    expect(draft.abstained).toBe(false);
    expect(draft.answer).toContain("Only when their manager invites them");
  });

  it("quotes the sentence holding a sum when the question states one", () => {
    const receipts = chunk(
      "expenses.md",
      "Expenses > Receipts",
      12,
      "A receipt is required for every expense over $25. The receipt must show the date, the vendor, the amount and what was bought. A card terminal slip alone is not enough.",
    );
    const draft = extractiveAnswer("Do I need to keep the slip for a $12 coffee I bought?", [
      receipts,
    ]);
    expect(draft.answer).toContain("over $25");
  });

  it("does not count what is left of a negated auxiliary as a word (won't, hasn't)", () => {
    const question =
      "Daycare won't take my son and the nanny hasn't called. Can I take a paid day?";
    const evidence = retrievalEvidence(question, [HANDBOOK.leave]);
    expect(evidence.question.terms).not.toContain("won");
    expect(evidence.question.terms).not.toContain("hasn");
    expect(evidence.question.terms).toContain("paid");
  });

  it("does not count a stated sum's digits as words the answer must share", () => {
    // "$2,000" is "2" and "000" to the word matcher: they matched the cards' "$3,000" by chance.
    const cards = chunk(
      "expenses.md",
      "Expenses > Company cards",
      30,
      "Company card limits start at $3,000 a month. Card purchases need a receipt within seven days.",
    );
    const approvals = chunk(
      "expenses.md",
      "Expenses > Approvals",
      40,
      "Your manager must approve any purchase above $500 before you spend the money.",
    );
    const question = "Who needs to approve a $2,000 purchase?";
    const evidence = retrievalEvidence(question, [cards, approvals]);
    expect(evidence.question.terms).not.toContain("000");
    const draft = extractiveAnswer(question, [cards, approvals]);
    expect(draft.citations[0]?.heading).toBe("Expenses > Approvals");
  });
});

describe("extractiveAnswer: a duration not stated as one", () => {
  const passwords = chunk(
    "security.md",
    "Security > Passwords",
    8,
    "Passwords for tools outside single sign-on must be at least 14 characters long.",
  );
  const others = [
    "Security > Devices: report a lost laptop within one hour.",
    "Leave > Vacation: employees get 25 days of paid vacation per year.",
    "Expenses > Receipts: keep receipts for every purchase over $25.",
  ];
  const stats = textTermStatistics([`${passwords.heading}\n${passwords.text}`, ...others]);

  it("keeps the evidence of a section without a time for a how-long question", () => {
    // "How long" asks for a length here: the section answers without any duration in it.
    const question = "How long does a password need to be for tools outside single sign-on?";
    const evidence = retrievalEvidence(question, [passwords], stats);
    expect(evidence.question.kind).toBe("duration");
    expect(evidence.passages[0]?.hasKind).toBe(false);
    expect(evidence.coverage).toBeCloseTo((evidence.passages[0]?.coverage ?? 0) + 0.1);
    const draft = extractiveAnswer(question, [passwords], { evidence });
    expect(draft.answer).toContain("at least 14 characters");
  });

  it("still lowers the evidence of a section without the time a when-question asks for", () => {
    const evidence = retrievalEvidence(
      "When must a password for tools outside single sign-on be changed?",
      [passwords],
      stats,
    );
    expect(evidence.passages[0]?.hasKind).toBe(false);
    expect(evidence.coverage).toBeLessThan((evidence.passages[0]?.coverage ?? 0) + 0.1);
  });
});

describe("the search's pick beside the answerer's", () => {
  // The search ranks the general time-off page first; the answerer prefers the parental-leave
  // page, which holds more of the question. Words alone cannot settle it, so both are quoted.
  const timeOff = {
    ...chunk(
      "time-off.md",
      "Time off",
      3,
      "Everyone gets 25 days of leave a year, parents included.",
    ),
    textRank: 1,
  };
  const parental = {
    ...chunk(
      "parental-leave.md",
      "Parental leave",
      5,
      "New parents get 20 days of paid parental leave.",
    ),
    textRank: 2,
    score: 0.02,
  };
  const question = "How many days of paid leave do new parents get?";
  const collection = () =>
    textTermStatistics([
      ...[timeOff, parental].map((entry) => `${entry.title}\n${entry.heading}\n${entry.text}`),
      "The office opens at 9.",
      "Expenses are paid monthly.",
      "Hiring managers interview candidates.",
    ]);

  it("quotes the higher-ranked page too, cited, when the answer comes from a lower-ranked one", () => {
    const draft = extractiveAnswer(question, [timeOff, parental], { statistics: collection() });
    expect(draft.abstained).toBe(false);
    expect(draft.citations.map((citation) => [citation.n, citation.source])).toEqual([
      [1, "parental-leave.md"],
      [2, "time-off.md"],
    ]);
    expect(draft.answer).toMatch(
      /20 days of paid parental leave\. \[1\]\n\nAlso, .*25 days of leave a year.* \[2\]$/,
    );
  });

  it("quotes one page when the answerer agrees with the search, or when told not to", () => {
    const agreed = extractiveAnswer(
      question,
      [
        { ...parental, textRank: 1 },
        { ...timeOff, textRank: 2 },
      ],
      {
        statistics: collection(),
      },
    );
    expect(agreed.citations.map((citation) => citation.source)).toEqual(["parental-leave.md"]);
    const single = extractiveAnswer(question, [timeOff, parental], {
      statistics: collection(),
      options: { overruledCoverage: 0 },
    });
    expect(single.citations.map((citation) => citation.source)).toEqual(["parental-leave.md"]);
  });
});

describe("the value asked for, from another section of the same page", () => {
  const hiring = chunk(
    "hiring.md",
    "Hiring",
    10,
    [
      "## The loop",
      "",
      "| Stage | Length |",
      "| --- | --- |",
      "| Recruiter call | 30 minutes |",
      "| Skills interview, with the pairing exercise | 90 minutes |",
      "",
      "### Pairing exercise",
      "",
      "The pairing exercise repository is acme/interview-kata. Candidates pair on it with an engineer.",
    ].join("\n"),
  );
  const question = "How much time should a candidate set aside for the pairing exercise?";

  it("quotes the section that states a duration when the answering one states none", () => {
    const draft = extractiveAnswer(question, [hiring]);
    expect(draft.abstained).toBe(false);
    expect(draft.citations[0]?.heading).toBe("Hiring > The loop > Pairing exercise");
    expect(draft.answer).toContain("90 minutes");
    expect(draft.citations.every((citation) => citation.source === "hiring.md")).toBe(true);
  });

  it("quotes only the answering section when told not to look further", () => {
    const draft = extractiveAnswer(question, [hiring], { options: { siblingCoverage: 0 } });
    expect(draft.answer).not.toContain("90 minutes");
  });
});

describe("the sentence after the best one", () => {
  const repairs = chunk(
    "equipment.md",
    "Equipment > Repairs",
    30,
    "Do not take a company laptop to a third-party repair shop. Open a ticket with IT, who send a replacement device within 3 working days. Keep the box it came in.",
  );
  const question = "The screen on my laptop cracked. Can I take it to a repair shop?";

  it("is quoted with it: the best one restates the case, the next says what follows", () => {
    const draft = extractiveAnswer(question, [repairs]);
    expect(draft.answer).toContain("Do not take a company laptop");
    expect(draft.answer).toContain("within 3 working days");
  });

  it("is left out when told so", () => {
    const draft = extractiveAnswer(question, [repairs], { options: { quoteNext: false } });
    expect(draft.answer).not.toContain("within 3 working days");
  });
});
