/**
 * The n-th of 720 preferences that differ from each other only in one task
 * reminder time (08:00, 08:01, … 19:59, Paris), so a write can be told
 * apart by what it stored: tests and benchmarks of writes under faults.
 */
export function preferencesNo(n: number) {
  const minute = String(n % 60).padStart(2, "0");
  const hour = String(8 + Math.floor(n / 60) % 12).padStart(2, "0");
  return {
    enabled: true,
    timezone: "Europe/Paris",
    types: { taskReminder: { enabled: true, times: [`${hour}:${minute}`] } },
  };
}
