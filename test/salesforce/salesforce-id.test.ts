import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  canonicalSalesforceId,
  id15,
  id18,
  isSalesforceId,
} from '../../src/formats/salesforce-id.js';

describe('Salesforce ids', () => {
  it('computes the 18-character form from the case of the first 15 characters', () => {
    // The example Salesforce's own documentation gives.
    expect(id18('001A0000006Vm9r')).to.equal('001A0000006Vm9rIAC');
    expect(id18('001A0000006Vm9rIAC')).to.equal('001A0000006Vm9rIAC');
    expect(id18('00q000000000001')).to.equal('00q000000000001AAA');
    expect(id18('ABCDEABCDEABCDE')).to.equal('ABCDEABCDEABCDE555');
  });

  it('tells ids from other text', () => {
    for (const ok of ['001A0000006Vm9r', '001A0000006Vm9rIAC'])
      expect(isSalesforceId(ok)).to.equal(true);
    for (const bad of [
      '',
      '001A0000006Vm9',
      '001A0000006Vm9rI',
      '001A0000006Vm9r-AC',
      '001A0000006Vm9rIACX',
    ])
      expect(isSalesforceId(bad), bad).to.equal(false);
    expect(id15('001A0000006Vm9rIAC')).to.equal('001A0000006Vm9r');
  });
});

describe('Salesforce ids checked against their suffix', () => {
  it('restores the case of an 18-character id from its suffix', () => {
    for (const spelling of ['001A0000006Vm9rIAC', '001a0000006vm9riac', '001A0000006VM9RIAC'])
      expect(canonicalSalesforceId(spelling), spelling).to.equal('001A0000006Vm9rIAC');
    expect(canonicalSalesforceId('001A0000006Vm9r')).to.equal('001A0000006Vm9r');
  });

  it('refuses a suffix no spelling of the first 15 characters gives', () => {
    // 6-9 are in no suffix; a digit cannot be upper case.
    for (const bad of ['001A0000006Vm9rIA9', '001A0000006Vm9rZZZ', '001A0000006Vm9', ''])
      expect(canonicalSalesforceId(bad), bad).to.equal(null);
    // A consistent suffix of another spelling names another id.
    expect(canonicalSalesforceId('001A0000006Vm9rAAA')).to.equal('001a0000006vm9rAAA');
  });
});

describe('Salesforce settings', () => {
  it('default to no organisation and no secret', () => {
    const config = loadConfig({});
    expect(config.salesforceOrgIds).to.deep.equal([]);
    expect(config.salesforcePathSecret).to.equal('');
  });

  it('read comma-separated organisation ids of 15 or 18 characters', () => {
    const config = loadConfig({
      SFDC_ORG_IDS: ' 00D5g000004aBcD , 00D5g000004aBcEEAU',
      SFDC_PATH_SECRET: 'a-b_c.d~0123456789',
    });
    expect(config.salesforceOrgIds).to.deep.equal(['00D5g000004aBcD', '00D5g000004aBcEEAU']);
    // An 18-character id in another case (a case-insensitive system held it) is restored.
    const restored = loadConfig({
      SFDC_ORG_IDS: '00d5g000004abceeau',
      SFDC_PATH_SECRET: 'a-b_c.d~0123456789',
    });
    expect(restored.salesforceOrgIds).to.deep.equal(['00D5g000004aBcEEAU']);
  });

  it('refuse what is not an organisation id, naming the setting', () => {
    for (const bad of [
      '00D5g000004aBc',
      '0055g000004aBcD',
      '00D5g000004aBcD,',
      '00D5g000004aBcDEA',
      // The right first 15 characters, a suffix that is not their checksum.
      '00D5g000004aBcD999',
      '00D5g000004aBcDAAA',
    ])
      expect(() => loadConfig({ SFDC_ORG_IDS: bad }), bad).to.throw(ConfigError, /SFDC_ORG_IDS/);
  });

  it('take a path secret of 16 to 128 URL-safe characters', () => {
    expect(loadConfig({ SFDC_PATH_SECRET: ' a-b_c.d~0123456789 ' }).salesforcePathSecret).to.equal(
      'a-b_c.d~0123456789',
    );
    for (const bad of ['short', 'has/a/slash/0123456789', 'with space 0123456789', 'x'.repeat(129)])
      expect(() => loadConfig({ SFDC_PATH_SECRET: bad }), bad).to.throw(
        ConfigError,
        /SFDC_PATH_SECRET/,
      );
  });
});
