import { describe, expect, it } from "vitest";
import { Limiter } from "../src/collect/http.ts";

/** A task that records when it starts and finishes when `release` is called. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { release, done };
}

describe("Limiter", () => {
  it("never runs more than its limit at once", async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.run(async () => {
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 1));
          running--;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  it("starts waiting tasks by priority, first come first served within a priority", async () => {
    const limiter = new Limiter(1);
    const blocker = gate();
    const started: string[] = [];
    const first = limiter.run(() => blocker.done);
    const queued = [
      ["page-a", 0],
      ["next-page-a", 1],
      ["page-b", 0],
      ["chain-head", 2],
      ["next-page-b", 1],
    ] as const;
    const runs = queued.map(([name, priority]) => limiter.run(async () => void started.push(name), priority));
    blocker.release();
    await Promise.all([first, ...runs]);
    expect(started).toEqual(["chain-head", "next-page-a", "next-page-b", "page-a", "page-b"]);
  });

  it("frees the slot when a task fails", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limiter.run(async () => "ran")).resolves.toBe("ran");
  });
});

describe("Limiter under churn", () => {
  it("hands a freed slot to the next waiter, so a newcomer cannot run beside it", async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let most = 0;
    const task = async () => {
      most = Math.max(most, ++running);
      await Promise.resolve();
      running--;
    };
    // Every finished task immediately starts another one, racing the waiter it just released.
    const chain = async (n: number): Promise<void> => {
      if (n === 0) return;
      await limiter.run(task);
      await Promise.all([limiter.run(task), chain(n - 1)]);
    };
    await Promise.all([chain(20), chain(20), chain(20)]);
    expect(most).toBe(2);
  });
});
