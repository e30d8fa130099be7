// The dynamic variables panel, preset and `.tcp` payloads share: the counter per scope, dates, UUIDs.
import * as assert from 'node:assert/strict';
import { resolveVariables, type VariableScope } from '../../src/shared/variables';

const noNames = { file: new Map(), environment: {} };

function resolve(text: string, scope: VariableScope): string {
  const result = resolveVariables(text, scope);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('dynamic variables', () => {
  it('counts payloads per scope, one number for every {{$counter}} in one payload', () => {
    const panel: VariableScope = { ...noNames };
    const other: VariableScope = { ...noNames };
    assert.equal(resolve('#{{$counter}}', panel), '#1');
    assert.equal(resolve('#{{$counter}} again {{ $counter }}', panel), '#2 again 2');
    assert.equal(resolve('#{{$counter}}', other), '#1');
    assert.equal(resolve('no counter here', panel), 'no counter here');
    assert.equal(resolve('#{{$counter}}', panel), '#3');
  });

  it('formats the date in UTC as ISO 8601 or RFC 1123', () => {
    const scope: VariableScope = { ...noNames, now: () => Date.UTC(2026, 11, 1, 12, 30, 5, 250) };
    assert.equal(resolve('{{$datetime iso8601}}', scope), '2026-12-01T12:30:05.250Z');
    assert.equal(resolve('{{$datetime rfc1123}}', scope), 'Tue, 01 Dec 2026 12:30:05 GMT');
    assert.equal(resolve('{{$timestamp}}', scope), String(Math.floor(Date.UTC(2026, 11, 1, 12, 30, 5) / 1000)));
  });

  it('makes version 4 UUIDs without Node imports', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const uuid = resolve('{{$uuid}}', { ...noNames });
      assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(uuid);
    }
    assert.equal(seen.size, 100);
  });

  it('draws $randomInt from min up to, not including, max', () => {
    assert.equal(resolve('{{$randomInt 5 8}}', { ...noNames, random: () => 0 }), '5');
    assert.equal(resolve('{{$randomInt 5 8}}', { ...noNames, random: () => 0.9999 }), '7');
  });

  it('says how to write a malformed dynamic variable', () => {
    const error = (text: string) => {
      const result = resolveVariables(text, { ...noNames });
      return result.ok ? '' : result.error;
    };
    assert.equal(error('{{$datetime}}'), "'{{$datetime}}' needs a format: write {{$datetime iso8601}} or {{$datetime rfc1123}}.");
    assert.equal(error('{{$datetime unix}}'), "'{{$datetime}}' needs a format: write {{$datetime iso8601}} or {{$datetime rfc1123}}.");
    assert.equal(error('{{$counter 2}}'), "'{{$counter}}' takes no arguments: remove '2'.");
    assert.equal(error('{{$now}}'), "Unknown dynamic variable '$now': use $counter, $timestamp, $datetime, $randomInt, $uuid.");
  });
});
