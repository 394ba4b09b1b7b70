import { describe, expect, it } from "vitest";
import { unescapeMarkdown } from "../ingestion/chunk-markdown";
import {
  answerType,
  existenceSubject,
  holdsAnswerType,
  questionFocus,
  questionFormWords,
  questionSubject,
} from "./answer-types";

describe("answerType", () => {
  it.each([
    ["What is the phone number of the Dublin office?", "phone"],
    ["Which email address do I write to for payroll questions?", "email"],
    ["What is the URL of the status page?", "url"],
    ["What was the monthly price of the Legacy Pro plan?", "money"],
    ["How much extra do I get paid for a week on call?", "money"],
    ["Which Kubernetes version do the production clusters run?", "version"],
    ["How long are logs retained?", "duration"],
    // "how long … on full pay" asks for a duration, not the pay.
    ["How long can someone who gives birth take off on full pay?", "duration"],
    ["How much time off does a new parent get?", "duration"],
    // An adjective between "how much" and the time asked for is still a duration, not a sum.
    ["How much paid time off do I get as the dad?", "duration"],
    // A frequency is stated as a period ("every three years", "every 15 seconds"), not a count.
    ["How often do we get a new laptop?", "duration"],
    ["How many approvals does a pull request need?", "count"],
    ["What is the maximum number of rows in a dataset?", "count"],
    // A percentage of a salary is a share, not a sum of money.
    ["What percentage of salary is the annual bonus?", "percent"],
    ["what % service charge goes on restaurant bills", "percent"],
    // An amount of leave is a length of time, even when the question ends on "get" or "paid".
    ["How much paternity leave do I get and is it paid?", "duration"],
    ["I've been here six years now, how much annual leave do I get?", "duration"],
    ["How much holiday pay do I get?", "money"],
    // A share the question states is its context, not what it asks for.
    ["Do agents get a bonus if the team hits the 92% CSAT target?", "money"],
    ["When is the fee charged?", "time"],
    ["What are the dates of the end-of-year code freeze?", "time"],
    ["Who approves a restore?", "person"],
    ["Where do I file a bug?", "place"],
    // The opening question word decides, not a later "when" clause.
    ["Where do I file it when a customer's bug needs engineering to fix it?", "place"],
    ["Who has to sign off before I pay for a monitor?", "person"],
    ["How do I roll back a release?", "steps"],
    ["I pasted an API key into Slack. What do I do now?", "steps"],
    ["What are the benefits of the debugger?", undefined],
    // A phone the question mentions is a device, not the number asked for.
    ["Can I get paid for using my own cell instead of carrying a company phone?", undefined],
    ["What's the phone line for the help desk?", "phone"],
    // Warning, like notice, is given ahead of time: its amount is a duration.
    ["How much warning do we get before an API version stops being supported?", "duration"],
  ])("%s → %s", (question, type) => {
    expect(answerType(question)).toBe(type);
  });
});

describe("holdsAnswerType", () => {
  it("finds a phone number only where one is written", () => {
    expect(holdsAnswerType("Call the Dublin office on +353 1 555 0100.", "phone")).toBe(true);
    // Opening hours have digits, but not a phone number's run of them.
    expect(holdsAnswerType("Both offices are open 07:00 to 20:00 on working days.", "phone")).toBe(
      false,
    );
  });

  it("finds a price only with its currency or a stated absence of charge", () => {
    expect(holdsAnswerType("The Growth plan is $99 per month.", "money")).toBe(true);
    expect(holdsAnswerType("London: GBP 60 per day.", "money")).toBe(true);
    expect(holdsAnswerType("Exports are free of charge.", "money")).toBe(true);
    expect(holdsAnswerType("Legacy Pro is a plan we stopped selling in 2022.", "money")).toBe(
      false,
    );
  });

  it("reads a version through markdown escapes", () => {
    expect(holdsAnswerType("Forecast uses TLS 1\\.2 with AWS certificates.", "version")).toBe(true);
    expect(holdsAnswerType("Services are deployed to Kubernetes (Amazon EKS).", "version")).toBe(
      false,
    );
  });

  it("wants a date, a clock time or a time word for a time, not any number", () => {
    expect(holdsAnswerType("The stipend is $600 for a chair or desk.", "time")).toBe(false);
    expect(holdsAnswerType("The pager passes on Mondays at 10:00 Pacific.", "time")).toBe(true);
    expect(holdsAnswerType("Payday is the 25th of each month.", "time")).toBe(true);
    expect(holdsAnswerType("Submit it within your first 60 days.", "time")).toBe(true);
  });

  it("wants a number with a time unit for a duration", () => {
    expect(holdsAnswerType("Logs are kept for 30 days.", "duration")).toBe(true);
    expect(holdsAnswerType("Reply within two working hours.", "duration")).toBe(true);
    expect(holdsAnswerType("Messages are deleted by the retention job.", "duration")).toBe(false);
    expect(holdsAnswerType("Backfills pause 200 ms between batches.", "duration")).toBe(true);
    expect(holdsAnswerType("The probe times out after 30s.", "duration")).toBe(true);
    expect(holdsAnswerType("Allow one to two weeks.", "duration")).toBe(true);
  });

  it("takes no word or identifier for a duration unit", () => {
    // "a"/"an" and a unit letter ("as", "and", "ones"), or a digit inside an identifier ("c5d"),
    // once made every sentence with "and" hold a duration.
    expect(holdsAnswerType("Ask your manager and the Finance team.", "duration")).toBe(false);
    expect(holdsAnswerType("Such as the ones in the catalogue.", "duration")).toBe(false);
    expect(holdsAnswerType("Use a c5d.12xlarge instance.", "duration")).toBe(false);
  });

  it("wants a percent sign or the word for a percentage, not any number", () => {
    expect(holdsAnswerType("Each card payment costs 2.9% plus 30 cents.", "percent")).toBe(true);
    expect(holdsAnswerType("A 15 percent discount applies.", "percent")).toBe(true);
    expect(holdsAnswerType("50 requests per second per account.", "percent")).toBe(false);
  });

  it("finds an email address and a URL by their shape", () => {
    expect(holdsAnswerType("Write to payroll@fernhill.example.com.", "email")).toBe(true);
    expect(holdsAnswerType("Ask the payroll team.", "email")).toBe(false);
    expect(holdsAnswerType("See https://status.example.com for incidents.", "url")).toBe(true);
  });

  it("holds for any text when no type is asked for", () => {
    expect(holdsAnswerType("anything", undefined)).toBe(true);
  });
});

describe("questionFocus", () => {
  it("is the head of the thing asked about", () => {
    expect(questionFocus("What is the vesting schedule for employee equity grants?")).toBe(
      "schedule",
    );
    expect(questionFocus("Which on-call paging tool did Fernhill use before PagerDuty?")).toBe(
      "tool",
    );
  });

  it("is none when the head only names a kind of value, a measure or an aspect", () => {
    expect(questionFocus("What is the maximum number of API keys a tenant can create?")).toBe(
      undefined,
    );
    expect(questionFocus("What is the minimum length of passwords?")).toBe(undefined);
    expect(questionFocus("What are the benefits of using the debugger?")).toBe(undefined);
    expect(questionFocus("How long are logs retained?")).toBe(undefined);
    // A deadline is a time: the answer gives it ("by 15:00 on Thursday") without the word.
    expect(questionFocus("What's the deadline to log a waste bottle?")).toBe(undefined);
    // Notice is a length of time, stated as one ("at least 48 hours before").
    expect(questionFocus("What's the minimum notice for a swap in RotaCloud?")).toBe(undefined);
    // A process is its steps, and "what happens" asks for a consequence; neither word is stated.
    expect(questionFocus("The export keeps failing. What's the process?")).toBe(undefined);
    expect(questionFocus("What happens to my score if I lower a ticket's priority?")).toBe(
      undefined,
    );
  });

  it("ends before a clause's indefinite subject", () => {
    expect(questionFocus("What's the youngest age someone can volunteer with us?")).toBe("age");
    expect(questionFocus("What is the smallest room anyone can book?")).toBe("room");
  });
});

describe("questionSubject", () => {
  it("is the phrase a when/how question, an existence question or a what-of question is about", () => {
    expect(questionSubject("When do my stock options vest?")).toEqual(["stock", "options", "vest"]);
    expect(questionSubject("Is there an employee stock purchase plan?")).toEqual([
      "employee",
      "stock",
      "purchase",
      "plan",
    ]);
    expect(questionSubject("Is there a dress code when I meet customers?")).toEqual([
      "dress",
      "code",
    ]);
    expect(questionSubject("Do we get a yearly allowance for gym classes?")).toEqual([
      "yearly",
      "allowance",
    ]);
    expect(questionSubject("What is the rate limit for the GraphQL API?")).toEqual([
      "GraphQL",
      "API",
    ]);
  });

  it("is the object of a yes/no question whatever names the giver", () => {
    // "the company", "our insurance": a giver named by a common noun, not only "we" or a name.
    expect(questionSubject("Does the company offer childcare support?")).toEqual([
      "childcare",
      "support",
    ]);
    expect(questionSubject("Does our insurance cover dental implants?")).toEqual([
      "dental",
      "implants",
    ]);
  });

  it("is the object of a yes/no question whose givers are all or some employees", () => {
    expect(questionSubject("Do all employees get stock options?")).toEqual(["stock", "options"]);
    expect(existenceSubject("Do full-time staff get a phone allowance?")).toEqual([
      "phone",
      "allowance",
    ]);
    // How much or which of it is not what it is: a section on "bilingual pay" answers this.
    expect(existenceSubject("Is there any extra pay for speaking Spanish?")).toEqual(["pay"]);
    expect(existenceSubject("Do we get additional leave for moving house?")).toEqual(["leave"]);
    // An indefinite pronoun names no thing: the pay asked about is in a section on show-up pay.
    expect(existenceSubject("Do we get paid anything?")).toEqual(["paid"]);
    // A when/how question asks about its subject, not whether it exists.
    expect(existenceSubject("When do my stock options vest?")).toEqual([]);
    // "Have to" is "must", not possession: nothing's existence is asked.
    expect(existenceSubject("Do I have to put it in the tip box?")).toEqual([]);
    // "towards" ends the thing as "for" does: the money is the thing, shoes what it is for.
    expect(existenceSubject("Do we get any money towards work shoes?")).toEqual(["money"]);
    expect(existenceSubject("Do we have a staff canteen?")).toEqual(["staff", "canteen"]);
  });

  it("is none when the question's subject is a person", () => {
    expect(questionSubject("How do I reset my password?")).toEqual([]);
    expect(questionSubject("What laptop will I get if I'm joining as a designer?")).toEqual([]);
    expect(questionSubject("Can I take a long paid break?")).toEqual([]);
  });
});

describe("unescapeMarkdown", () => {
  it("drops backslash escapes", () => {
    expect(unescapeMarkdown("TLS 1\\.2 \\(default\\) costs \\$0")).toBe(
      "TLS 1.2 (default) costs $0",
    );
  });
});

describe("questionFormWords", () => {
  it("finds the adverb of a how-question, which only asks for a value", () => {
    expect(questionFormWords("How fast do I have to report a stolen laptop?")).toEqual(["fast"]);
    expect(questionFormWords("How long and how often is the review?")).toEqual(["long", "often"]);
    expect(questionFormWords("Can I take a long paid break?")).toEqual([]);
  });

  it("finds the verb of a what-happens question, which only asks for a consequence", () => {
    expect(questionFormWords("What happens if I miss a page?")).toEqual(["happens"]);
    expect(questionFormWords("what will happen when my visa expires?")).toEqual(["happen"]);
    // Happening as the subject is no question form.
    expect(questionFormWords("Where do I report what happened in the incident?")).toEqual([]);
  });
});
