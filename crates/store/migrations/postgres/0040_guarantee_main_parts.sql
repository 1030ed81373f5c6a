-- Issue 19, item 1: the main parts of the ten systems (GB/T 29632) as data head office
-- edits: it adds a part, renames it and retires it (a retired part stays valid on the
-- faults recorded with it; no new fault may name it). The system is one of the ten
-- (checked by the domain); the code is unique within its system. Seeded with the list
-- shipped in crates/domain/data/main_parts.txt. UTC milliseconds.
CREATE TABLE guarantee_main_parts (
    system TEXT NOT NULL,
    code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL,
    retired_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (system, code)
);
INSERT INTO guarantee_main_parts (system, code, name_zh, name_en, position, created_at, updated_at) VALUES
    ('engine', 'crankshaft', '曲轴', 'crankshaft', 1, 0, 0),
    ('engine', 'main_bearing', '主轴承', 'main bearing', 2, 0, 0),
    ('engine', 'connecting_rod', '连杆', 'connecting rod', 3, 0, 0),
    ('engine', 'conrod_bearing', '连杆轴承', 'connecting-rod bearing', 4, 0, 0),
    ('engine', 'piston', '活塞', 'piston', 5, 0, 0),
    ('engine', 'piston_ring', '活塞环', 'piston ring', 6, 0, 0),
    ('engine', 'piston_pin', '活塞销', 'piston pin', 7, 0, 0),
    ('engine', 'cylinder_head', '气缸盖', 'cylinder head', 8, 0, 0),
    ('engine', 'camshaft', '凸轮轴', 'camshaft', 9, 0, 0),
    ('engine', 'valve', '气门', 'valve', 10, 0, 0),
    ('engine', 'cylinder_block', '气缸体', 'cylinder block', 11, 0, 0),
    ('transmission', 'case', '箱体', 'case', 12, 0, 0),
    ('transmission', 'gear', '齿轮', 'gear', 13, 0, 0),
    ('transmission', 'shaft', '轴类', 'shaft', 14, 0, 0),
    ('transmission', 'bearing', '轴承', 'bearing', 15, 0, 0),
    ('transmission', 'internal_drive_element', '箱内动力传动元件（含离合器、制动器）', 'internal drive element (clutches, brakes)', 16, 0, 0),
    ('traction_battery', 'cell_module', '电池单体或模组', 'cell or module', 17, 0, 0),
    ('traction_battery', 'bms', '电池管理系统', 'battery management system', 18, 0, 0),
    ('traction_battery', 'enclosure', '电池箱体', 'enclosure', 19, 0, 0),
    ('traction_battery', 'thermal_system', '电池热管理系统', 'thermal management', 20, 0, 0),
    ('drive_motor', 'stator', '定子', 'stator', 21, 0, 0),
    ('drive_motor', 'rotor', '转子', 'rotor', 22, 0, 0),
    ('drive_motor', 'bearing', '轴承', 'bearing', 23, 0, 0),
    ('drive_motor', 'housing', '壳体', 'housing', 24, 0, 0),
    ('drive_motor', 'controller', '电机控制器', 'motor controller', 25, 0, 0),
    ('steering', 'steering_gear', '转向机总成', 'steering gear assembly', 26, 0, 0),
    ('steering', 'steering_column', '转向柱', 'steering column', 27, 0, 0),
    ('steering', 'steering_joint', '转向万向节', 'steering universal joint', 28, 0, 0),
    ('steering', 'steering_rod', '转向拉杆（不含球头）', 'steering rod (ball joint excluded)', 29, 0, 0),
    ('steering', 'knuckle', '转向节', 'steering knuckle', 30, 0, 0),
    ('brakes', 'master_cylinder', '制动主缸', 'master cylinder', 31, 0, 0),
    ('brakes', 'wheel_cylinder', '轮缸', 'wheel cylinder', 32, 0, 0),
    ('brakes', 'booster', '助力器', 'brake booster', 33, 0, 0),
    ('brakes', 'pedal_bracket', '制动踏板及其支架', 'brake pedal and bracket', 34, 0, 0),
    ('suspension', 'spring', '弹簧', 'spring', 35, 0, 0),
    ('suspension', 'control_arm', '控制臂', 'control arm', 36, 0, 0),
    ('suspension', 'link', '连杆', 'link', 37, 0, 0),
    ('drivetrain', 'final_drive', '减速器', 'final drive', 38, 0, 0),
    ('drivetrain', 'differential', '差速器', 'differential', 39, 0, 0),
    ('drivetrain', 'half_shaft', '半轴', 'half shaft', 40, 0, 0),
    ('drivetrain', 'axle_housing', '桥壳', 'axle housing', 41, 0, 0),
    ('emission_control', 'catalytic_converter', '催化转化器', 'catalytic converter', 42, 0, 0),
    ('emission_control', 'particulate_filter', '颗粒捕集器', 'particulate filter', 43, 0, 0),
    ('emission_control', 'oxygen_sensor', '氧传感器', 'oxygen sensor', 44, 0, 0),
    ('body', 'body_frame', '车身骨架', 'body frame', 45, 0, 0),
    ('body', 'subframe', '副车架', 'subframe', 46, 0, 0),
    ('body', 'longitudinal_beam', '纵梁', 'longitudinal beam', 47, 0, 0),
    ('body', 'cross_beam', '横梁', 'cross beam', 48, 0, 0),
    ('body', 'door_body', '前后车门本体', 'door body', 49, 0, 0);

-- Issue 19, item 2 (Art 29): the car that replaced the vehicle of a performed
-- replacement request; its own periods start from its own invoice or delivery date.
ALTER TABLE guarantee_requests ADD COLUMN replacement_vehicle_id BIGINT REFERENCES vehicles(id);
