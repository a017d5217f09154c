#!/usr/bin/env python3
"""Writes a made-up Jira Cloud "CSV (all fields)" export of N issues to stdout, for the import bench
(issue 21): one epic in `epic_every` issues, the others its stories (children by `Parent`), with
Jira's repeated headers, both date formats, story points and multi-line descriptions. No real
people or projects. Usage: bench/jira_export.py N [epic_every] (epic_every 0: no epics at all)."""
import csv
import random
import sys

n = int(sys.argv[1])
epic_every = int(sys.argv[2]) if len(sys.argv) > 2 else 1
random.seed(21)
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
statuses = [("To Do", "To Do"), ("In Progress", "In Progress"), ("In Review", "In Progress"), ("Done", "Done")]
out = csv.writer(sys.stdout, lineterminator="\n")
sys.stdout.write("\ufeff")
out.writerow(["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Priority",
              "Labels", "Labels", "Sprint", "Sprint", "Due date", "Custom field (Start date)",
              "Custom field (Story point estimate)", "Parent", "Status Category", "Description"])
epic = None
for i in range(1, n + 1):
    is_epic = epic_every and (i - 1) % epic_every == 0
    status, category = random.choice(statuses)
    start_month = random.randrange(12)
    start = f"{random.randint(1, 28):02d}/{months[start_month]}/26 {random.randint(1, 12)}:{random.randint(0, 59):02d} AM"
    due = f"2027-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"
    out.writerow([
        f"{'Epic' if is_epic else 'Story'} number {i}, with \"quotes\"", f"BENCH-{i}", str(100000 + i),
        "Epic" if is_epic else "Story", status, "BENCH", "Medium", "bench", "q1", "Sprint 1", "Sprint 2",
        due, start, str(random.choice([1, 2, 3, 5, 8, 13])), "" if is_epic or not epic else str(epic),
        category, f"Line one of {i}.\nLine two, with a comma.",
    ])
    if is_epic:
        epic = 100000 + i
