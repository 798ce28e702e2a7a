//! A generator of synthetic vaults shaped like the real one: bilingual EN/RU Q&A notes of
//! about 14 KB (the real median), concept notes, dense wikilinks between them, and a few
//! damaged notes. Deterministic: the same size gives the same bytes.

use std::fmt::Write;
use std::path::Path;

const EN: &[&str] = &[
    "the cache",
    "a request",
    "every service",
    "the queue",
    "latency",
    "the client",
    "consistency",
    "a replica",
    "the scheduler",
    "backpressure",
    "the coroutine",
    "throughput",
];
const RU: &[&str] = &[
    "кэш",
    "запрос",
    "каждый сервис",
    "очередь",
    "задержка",
    "клиент",
    "согласованность",
    "реплика",
    "планировщик",
    "обратное давление",
    "корутина",
    "пропускная способность",
];
const TOPICS: &[(&str, &str)] = &[
    ("system-design", "30-System-Design"),
    ("kotlin", "70-Kotlin"),
    ("android", "40-Android"),
    ("algorithms", "20-Algorithms"),
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

fn sentence(rng: &mut Rng, words: &[&str], links: &[String], link_every: usize) -> String {
    let mut s = String::new();
    for i in 0..12 {
        if i > 0 {
            s.push(' ');
        }
        if link_every > 0 && rng.next().is_multiple_of(link_every) && !links.is_empty() {
            let target = &links[rng.next() % links.len()];
            let _ = write!(s, "[[{target}]]");
        } else {
            s.push_str(rng.pick(words));
        }
    }
    s.push('.');
    s
}

pub(crate) fn q_stem(i: usize) -> String {
    let (topic, _) = TOPICS[i % TOPICS.len()];
    format!("q-synthetic-question-{i}--{topic}--medium")
}

/// Write `n` notes (and n/4 concept notes) under `dir`; with `fixable`, also damage that
/// `check --fix` repairs.
pub(crate) fn generate(dir: &Path, n: usize, fixable: bool) -> std::io::Result<()> {
    let mut rng = Rng(n as u64);
    std::fs::create_dir_all(dir.join(".obsidian"))?;
    std::fs::create_dir_all(dir.join("10-Concepts"))?;
    for (_, folder) in TOPICS {
        std::fs::create_dir_all(dir.join(folder))?;
    }
    let concepts: Vec<String> = (0..(n / 4).max(1))
        .map(|i| format!("c-concept-{i}"))
        .collect();
    let mut targets: Vec<String> = concepts.clone();
    targets.extend((0..n).map(q_stem));
    std::fs::create_dir_all(dir.join("90-MOCs"))?;
    for (topic, folder) in TOPICS {
        let links: String = (0..n)
            .filter(|i| TOPICS[i % TOPICS.len()].0 == *topic)
            .take(200)
            .map(|i| format!("- [[{}]]\n", q_stem(i)))
            .collect();
        std::fs::write(
            dir.join("90-MOCs").join(format!("moc-{topic}.md")),
            format!(
                "---\nid: ivm-{topic}\ntitle: {topic} MOC\nkind: moc\ncreated: 2025-10-12\nupdated: 2025-10-12\ntags: [moc]\n---\n# {folder}\n\n{links}"
            ),
        )?;
    }
    for (i, c) in concepts.iter().enumerate() {
        let body = format!(
            "---\nid: \"20251030-{:06}\"\ntitle: Concept {i} / Понятие {i}\naliases: [\"Concept {i}\"]\ntopic: kotlin\ncreated: 2025-10-30\nupdated: 2025-10-30\ntags: [concept]\n---\n# Summary (EN)\n{}\n\n# Сводка (RU)\n{}\n",
            i,
            sentence(&mut rng, EN, &targets, 0),
            sentence(&mut rng, RU, &targets, 0)
        );
        std::fs::write(dir.join("10-Concepts").join(format!("{c}.md")), body)?;
    }
    for i in 0..n {
        let (topic, folder) = TOPICS[i % TOPICS.len()];
        let stem = q_stem(i);
        let mut t = String::with_capacity(16_000);
        // One note in fifty carries a defect no fix may guess at (two ids).
        let damaged = i % 50 == 7;
        let _ = write!(
            t,
            "---\nid: {}-{i}\ntitle: Synthetic question {i} / Синтетический вопрос {i}\naliases:\n- Question {i}\n- Вопрос {i}\ntopic: {topic}\nsubtopics:\n- {}\nquestion_kind: theory\ndifficulty: medium\noriginal_language: en\nlanguage_tags:\n- en\n- ru\nstatus: draft\nmoc: moc-{topic}\nrelated:\n- {}\n- {}\ncreated: 2025-10-01\nupdated: 2025-11-01\ntags:\n- {topic}\n- difficulty/medium\nanki_cards:\n- slug: x{i}-0-en\n  language: en\n  anki_id: {}\n  synced_at: '2026-01-23T13:49:17.865498'\n- slug: x{i}-0-ru\n  language: ru\n  anki_id: {}\n  synced_at: '2026-01-23T13:49:17.866548'\n{}---\n",
            topic.split('-').next().unwrap_or("q"),
            if topic == "android" {
                "lifecycle"
            } else {
                "coroutines"
            },
            concepts[i % concepts.len()],
            targets[rng.next() % targets.len()],
            1_700_000_000_000u64 + 2 * i as u64,
            1_700_000_000_001u64 + 2 * i as u64,
            // A renumbered id appended as a second key, as in the real vault.
            if damaged {
                format!("id: dup-{i}\n")
            } else {
                String::new()
            },
        );
        let _ = write!(
            t,
            "# Question (EN)\n> {}\n\n# Вопрос (RU)\n> {}\n\n---\n\n## Answer (EN)\n\n",
            sentence(&mut rng, EN, &[], 0),
            sentence(&mut rng, RU, &[], 0)
        );
        while t.len() < 7_500 {
            let _ = writeln!(t, "{}\n", sentence(&mut rng, EN, &targets, 9));
            if rng.next().is_multiple_of(6) {
                t.push_str("| Aspect | Value |\n|---|---|\n| latency | low |\n\n```kotlin\nval x = launch { delay(10) }\n```\n\n");
            }
        }
        t.push_str("## Ответ (RU)\n\n");
        while t.len() < 14_000 {
            let _ = writeln!(t, "{}\n", sentence(&mut rng, RU, &targets, 9));
        }
        let _ = write!(
            t,
            "---\n\n## Follow-ups\n\n- {}\n\n## References\n\n- https://example.org/{i}\n\n## Related Questions\n\n- [[{}]]\n",
            sentence(&mut rng, EN, &[], 0),
            targets[rng.next() % targets.len()]
        );
        // With `fixable`, damage `check --fix` repairs, as the real vault has it: fences
        // broken by a bulk reformat, a transliterated heading, a `synced_at` written with a
        // space (three notes in fifty).
        let t = match i % 50 {
            _ if !fixable => t,
            17 => t.replacen("---\n", "---\\\n", 1).replacen(
                "\n---\n# Question",
                "\n---\\\n# Question",
                1,
            ),
            27 => t.replacen("# Вопрос (RU)", "# Vopros (RU)", 1),
            37 => t.replacen(
                "'2026-01-23T13:49:17.865498'",
                "'2026-01-23 13:49:17.865498'",
                1,
            ),
            _ => t,
        };
        std::fs::write(dir.join(folder).join(format!("{stem}.md")), t)?;
    }
    Ok(())
}
