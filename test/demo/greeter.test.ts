import { describe, expect, it } from 'vitest';
import { echoFor, greetingFor, pickLanguage } from '../../examples/greeter-bot.js';

describe('the greeter language', () => {
  it('speaks en, ru and es, takes the base of a regional code and falls back to en', () => {
    expect(pickLanguage('ru')).toBe('ru');
    expect(pickLanguage('es-MX')).toBe('es');
    expect(pickLanguage('ES_ar')).toBe('es');
    expect(pickLanguage('de')).toBe('en');
    expect(pickLanguage(null)).toBe('en');
    expect(pickLanguage(undefined)).toBe('en');
  });
});

describe('greetingFor', () => {
  it('greets a first /start and acknowledges the deep-link payload', () => {
    expect(greetingFor({ language: 'en', name: 'Ann', via: 'start', first: true, payload: 'promo' })).toBe(
      'Hello, Ann! You came with the link “promo”.',
    );
    expect(greetingFor({ language: 'ru', name: 'Анна', via: 'start', first: true })).toBe('Привет, Анна!');
  });

  it('welcomes back a repeated /start', () => {
    expect(greetingFor({ language: 'es', name: 'Ana', via: 'start', first: false })).toBe(
      '¡Bienvenido de nuevo, Ana!',
    );
  });

  it('names how a dialog without /start began', () => {
    expect(greetingFor({ language: 'en', name: 'A', via: 'message', first: true })).toContain('message');
    expect(
      greetingFor({ language: 'es', name: 'A', via: 'joinRequest', first: true, chat: 'Club' }),
    ).toContain('unirte a Club');
    expect(greetingFor({ language: 'ru', name: 'A', via: 'loginWidget', first: true })).toContain(
      'через Telegram',
    );
  });

  it('answers a later message in the last known language, trimmed', () => {
    expect(echoFor('es', 'hola')).toBe('Recibido: «hola»');
    expect(echoFor(null, 'x'.repeat(300))).toHaveLength('Got it: “”'.length + 201);
  });
});
