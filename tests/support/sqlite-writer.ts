/**
 * A process that writes to the people's tables without pause until it is killed: each write a person
 * and their care link in one transaction. Says {"msg":"written"} once WRITER_READY_AFTER are in.
 */
import { People } from '../../web/people.ts';
import { openSqlite } from '../../common/sqlite.ts';

const path = process.env.WRITER_DB ?? '';
const readyAfter = Number(process.env.WRITER_READY_AFTER ?? '200');
People.open(path).close();
const db = openSqlite(path);
const write = db.transaction((n: number) => {
  const id = `w-${process.pid}-${n}`;
  db.prepare("INSERT INTO people (id, role, name, created_at) VALUES (?, 'family', ?, 0)").run(id, id);
  db.prepare(
    "INSERT INTO care_links (person_id, patient_id, relation, share_vitals, created_at) VALUES (?, 'p-1', 'son', 0, 0)",
  ).run(id);
});
let n = 0;
let said = false;
const loop = () => {
  for (let i = 0; i < 20; i++) write(++n);
  if (n >= readyAfter && !said) {
    said = true;
    console.log(JSON.stringify({ msg: 'written', n }));
  }
  setImmediate(loop);
};
loop();
