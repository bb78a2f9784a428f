import bigInt from 'big-integer';
import { Api } from 'telegram';
import { BinaryReader } from 'telegram/extensions/BinaryReader.js';
import { describe, expect, it } from 'vitest';
import { installFastAcks, msgsAckBytes } from './acks.js';

describe('msgs_ack bytes', () => {
  it('are the bytes GramJS itself writes, and read back as the same ids', () => {
    // Written by GramJS's own serialiser (big-integer per id) for these three ids.
    const golden = '59b4d66215c4b51c03000000010000000000000001005aac52cf4e65fbffffffffffffff';
    const ids = [bigInt(1), bigInt('7300000000000000001'), bigInt(-5)];
    expect(msgsAckBytes(ids).toString('hex')).toBe(golden);
    installFastAcks();
    expect(new Api.MsgsAck({ msgIds: ids }).getBytes().toString('hex')).toBe(golden);

    const many = Array.from({ length: 500 }, (_, i) =>
      bigInt(i % 2 === 0 ? '7300000000000000000' : '-9223372036854775808').add(i * 4 + 1),
    );
    many.push(bigInt('9223372036854775807'), bigInt(0));
    const read = new BinaryReader(new Api.MsgsAck({ msgIds: many }).getBytes()).tgReadObject() as Api.MsgsAck;
    expect(read.msgIds.map(String)).toEqual(many.map(String));
    expect(msgsAckBytes([]).toString('hex')).toBe('59b4d66215c4b51c00000000');
  });
});
